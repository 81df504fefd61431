/**
 * The template version history file (docs/architecture.md §9.3): `keyless.template-versions.json`
 * beside keyless.config.json (`<name>.template-versions.json` beside another config). Like a lock
 * file, it is committed: it keeps each version's number stable across machines and stages, and
 * keeps what each version granted, so the backend can tell a customer what an update changes.
 * Building a changed template records the next version in it; under CI a stale file is an error,
 * so two different templates can never be deployed under one number.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod/mini';
import type { ProviderConfig } from '../provider-config/schema.ts';
import type { TemplateCatalogue } from './catalogue.ts';
import {
  catalogueOf,
  describeChanges,
  type TemplateContentConfig,
  type TemplateVersionRecord,
  templateContentRecord,
  withTemplateVersion,
} from './versions.ts';
import '../zod-locale.ts';

export class TemplateHistoryError extends Error {
  override readonly name = 'TemplateHistoryError';
}

/** The customer template's part of the provider config. */
export type ProviderTemplateSettings = Pick<
  ProviderConfig,
  'providerName' | 'permissions' | 'customerRoleNamePrefix'
>;

/** The template config fields the provider config sets. */
export function templateConfigOf(provider: ProviderTemplateSettings) {
  return {
    providerName: provider.providerName,
    permissions: provider.permissions,
    ...(provider.customerRoleNamePrefix ? { roleNamePrefix: provider.customerRoleNamePrefix } : {}),
  };
}

/** Where the history of the config `configFile` lives. */
export function templateHistoryPath(configFile: string): string {
  const name = basename(configFile).replace(/(\.config)?\.json$/, '');
  return join(dirname(configFile), `${name}.template-versions.json`);
}

const grantedSchema = z.object({
  managedPolicyArns: z.array(z.string()),
  statements: z.array(
    z.looseObject({
      Effect: z.enum(['Allow', 'Deny']),
      Action: z.union([z.string(), z.array(z.string())]),
      Resource: z.unknown(),
    }),
  ),
});
const recordSchema = z.object({
  version: z.int().check(z.gte(1)),
  fingerprint: z.string().check(z.minLength(1)),
  trustFingerprint: z.string().check(z.minLength(1)),
  recordedAt: z.string().check(z.minLength(1)),
  permissions: z.object({ ongoing: grantedSchema, setupPhase: grantedSchema }),
  parameters: z.record(z.string(), z.string()),
});
const historyFileSchema = z.object({
  $comment: z.optional(z.string()),
  versions: z
    .array(recordSchema)
    .check(
      z.refine(
        (versions) => versions.every((record, index) => record.version === index + 1),
        'must number the versions 1, 2, 3… in order',
      ),
    ),
});

const COMMENT =
  'Template versions of this provider config (keyless.config.json). Written by npm start, npm run synth ' +
  'and npm run template when the customer template changes; commit it with the config.';

export function readTemplateHistory(file: string): TemplateVersionRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TemplateHistoryError(
      `${file} is not valid JSON (${(error as Error).message}): restore it from version control.`,
    );
  }
  const parsed = historyFileSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(the file)'}: ${issue.message}`,
    );
    throw new TemplateHistoryError(
      `${file} is not a template version history: ${problems.join('; ')}. Restore it from version control.`,
    );
  }
  return parsed.data.versions as TemplateVersionRecord[];
}

export interface ResolvedTemplateVersion {
  version: number;
  catalogue: TemplateCatalogue;
  /** Set when this build recorded a new version: what it changes from the one before. */
  recorded?: { file: string; changes: string[] };
}

/**
 * The version the template built from `config` has. A change not yet in the history is recorded
 * as the next version (`mode: 'record'`), or refused (`mode: 'check'`, as under CI).
 */
export function resolveTemplateVersion({
  config,
  file,
  mode,
  now = new Date(),
}: {
  config: TemplateContentConfig;
  file: string;
  mode: 'record' | 'check';
  now?: Date;
}): ResolvedTemplateVersion {
  const history = readTemplateHistory(file);
  const candidate = templateContentRecord(config, 0, now.toISOString().slice(0, 10));
  const next = withTemplateVersion(history, candidate);
  if (!next.recorded) return { version: next.version, catalogue: catalogueOf(next.history) };
  const previous = history.at(-1);
  const changes = previous ? describeChanges(previous, { ...candidate, version: next.version }) : [];
  if (mode === 'check') {
    throw new TemplateHistoryError(
      `The customer template is not recorded in ${file}${previous ? ` (against v${previous.version} it: ${changes.join('; ')})` : ''}. ` +
        `Run npm run -s config:check outside CI to record it as v${next.version}, and commit ${basename(file)}.`,
    );
  }
  writeFileSync(file, `${JSON.stringify({ $comment: COMMENT, versions: next.history }, null, 2)}\n`);
  return { version: next.version, catalogue: catalogueOf(next.history), recorded: { file, changes } };
}

/** Under CI a build never writes the history: a stale one fails the build instead. */
export function historyMode(env: Record<string, string | undefined>): 'record' | 'check' {
  return env.CI && env.CI !== 'false' ? 'check' : 'record';
}

/** The line a command prints when it recorded a version. */
export function describeRecorded({ version, recorded }: ResolvedTemplateVersion): string | undefined {
  if (!recorded) return undefined;
  const what = recorded.changes.length > 0 ? `: ${recorded.changes.join('; ')}` : '';
  return `Recorded customer template v${version} in ${basename(recorded.file)}${what}. Commit it with the config.`;
}

/** The version of the template the provider config `configFile` builds, recorded or checked as `env` says. */
export function providerTemplateVersion(
  provider: ProviderTemplateSettings,
  configFile: string,
  env: Record<string, string | undefined>,
): ResolvedTemplateVersion {
  return resolveTemplateVersion({
    config: templateConfigOf(provider),
    file: templateHistoryPath(configFile),
    mode: historyMode(env),
  });
}
