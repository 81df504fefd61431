/**
 * The esbuild settings every function bundle shares, in one place so the CDK construct
 * (keyless-function.ts) and the cold-start benchmark build the same bundle (docs/architecture.md §9, *Bundles*).
 */
import { fileURLToPath } from 'node:url';

/**
 * Export conditions. `keyless-source` bundles the workspace packages (@keyless/broker) from their
 * TypeScript sources. `module` is esbuild's default condition for tree-shakable ES modules, which it
 * drops as soon as any custom condition is given: without it the AWS SDK's `@smithy/core` and
 * `@aws-sdk/core` resolve to their CommonJS builds (`node` comes first in their `exports`), which
 * esbuild cannot tree-shake (https://esbuild.github.io/api/#conditions).
 */
export const BUNDLE_CONDITIONS = ['keyless-source', 'module'] as const;

/** Prefer each package's ES module build, as AWS's SDK guidance for bundlers advises. */
export const BUNDLE_MAIN_FIELDS = ['module', 'main'] as const;

/**
 * Modules the bundles replace, each by what of it runs in Lambda (docs/architecture.md §9, *Bundles*): the SDK's
 * default credential chain by the environment's credentials (shared/clients/lambda-credentials.ts).
 * esbuild resolves an alias from the working directory, so each replacement is an absolute path.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': fileURLToPath(
    new URL('../../shared/clients/lambda-credentials.ts', import.meta.url),
  ),
};
