/**
 * The one test that really bundles: every landed function (`functions/<name>/handler.ts`) is in the stack,
 * bundles with the local esbuild (no Docker), and its bundle exports what the function's Handler names.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS_ROOT, KeylessFunction } from '#infra/constructs/keyless-function.ts';
import { BUNDLED_VARIABLES_GLOBAL } from '#shared/wiring/bundled-variables.ts';
import { FUNCTION_NAMES, FUNCTIONS } from '#shared/wiring/function-catalogue.ts';
import { buildTestApp } from './support.ts';

type LambdaResource = {
  Properties: {
    FunctionName: string;
    Handler: string;
    Code: { S3Key: string };
    Environment?: { Variables?: Record<string, unknown> };
  };
};

const landed = readdirSync(FUNCTIONS_ROOT).filter((name) => KeylessFunction.exists(name));
let assemblyDir: string;
let functions: LambdaResource[];

beforeAll(() => {
  const { app, template } = buildTestApp({ functionsRoot: FUNCTIONS_ROOT, bundle: true });
  functions = Object.values(template().findResources('AWS::Lambda::Function')) as LambdaResource[];
  assemblyDir = app.synth().directory;
}, 120_000);

/** The modules esbuild put in a function's bundle, as its source map lists them. */
function bundledSources(name: string): string[] {
  const fn = functions.find((f) => f.Properties.FunctionName === `keyless-test-${name}`)!;
  const [file] = fn.Properties.Handler.split('.');
  const asset = path.join(assemblyDir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  return (JSON.parse(readFileSync(path.join(asset, `${file}.mjs.map`), 'utf8')) as { sources: string[] })
    .sources;
}

describe('function bundles', () => {
  it('leave no landed function out of the catalogue', () => {
    expect(landed.filter((name) => !(FUNCTION_NAMES as string[]).includes(name))).toEqual([]);
  });

  it.each(landed)('put %s in the stack', (name) => {
    expect(functions.map((fn) => fn.Properties.FunctionName)).toContain(`keyless-test-${name}`);
  });

  it.each(landed)('bundle %s as ESM exporting the handler its Handler names', (name) => {
    const fn = functions.find((f) => f.Properties.FunctionName === `keyless-test-${name}`)!;
    const [file, exported] = fn.Properties.Handler.split('.');
    const asset = path.join(assemblyDir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    const bundle = readFileSync(path.join(asset, `${file}.mjs`), 'utf8');
    expect(bundle).toMatch(
      new RegExp(
        `export\\s*\\{[^}]*\\bas ${exported}\\b[^}]*\\}|export\\s*\\{[^}]*\\b${exported}\\b[^}]*\\}`,
      ),
    );
    expect(readdirSync(asset)).toContain(`${file}.mjs.map`);
  });

  it.each(landed)(
    'leave the local runtime out of %s: no pretty logger, no template instantiation, no IAM engine',
    (name) => {
      // Prepare: the bundle's source map lists every module esbuild put in it.
      const fn = functions.find((f) => f.Properties.FunctionName === `keyless-test-${name}`)!;
      const [file] = fn.Properties.Handler.split('.');
      const asset = path.join(assemblyDir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
      const { sources } = JSON.parse(readFileSync(path.join(asset, `${file}.mjs.map`), 'utf8')) as {
        sources: string[];
      };
      const bundle = readFileSync(path.join(asset, `${file}.mjs`), 'utf8');
      // Assess
      expect(sources.length).toBeGreaterThan(10);
      expect(sources.filter((source) => /(^|\/)local\/|@cloud-copilot|iam-simulate/.test(source))).toEqual(
        [],
      );
      for (const marker of [
        'PrettyLogger',
        'instantiateCustomerTemplate',
        'localResponseUrlPolicy',
        '_local/cloudformation-responses',
      ]) {
        expect(bundle, marker).not.toContain(marker);
      }
    },
  );

  it.each(landed)("bundle %s from the SDK's ES modules, without the default credential chain", (name) => {
    const sources = bundledSources(name);
    // CommonJS builds cannot be tree-shaken: the `module` condition picks the ES ones (bundle-options.ts).
    expect(sources.filter((source) => /@(smithy|aws-sdk)\/core\/dist-cjs\//.test(source))).toEqual([]);
    // The environment's credentials stand in for the chain, and with it its SSO and STS clients.
    expect(
      sources.filter((source) =>
        /@aws-sdk\/(credential-provider-(node|sso|ini|web-identity|process|login)|nested-clients|token-providers)\//.test(
          source,
        ),
      ),
    ).toEqual([]);
    expect(sources.some((source) => source.endsWith('shared/clients/lambda-credentials.ts'))).toBe(true);
  });

  it.each(landed)('keep %s within 500 KB minified, the AWS SDK inside', (name) => {
    const fn = functions.find((f) => f.Properties.FunctionName === `keyless-test-${name}`)!;
    const [file] = fn.Properties.Handler.split('.');
    const asset = path.join(assemblyDir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    expect(statSync(path.join(asset, `${file}.mjs`)).size).toBeLessThanOrEqual(500 * 1024);
    expect(bundledSources(name).some((source) => /node_modules\/@aws-sdk\/client-/.test(source))).toBe(true);
  });

  it.each(landed)(
    "trace %s with Keyless's X-Ray subsegments, without the X-Ray SDK; JMESPath only for the setup API's idempotency",
    (name) => {
      const sources = bundledSources(name);
      // docs/architecture.md §11: the X-Ray SDK (and the Powertools tracer over it) is not bundled.
      expect(
        sources.filter((source) => /node_modules\/(aws-xray-sdk-core|cls-hooked|semver)\//.test(source)),
      ).toEqual([]);
      expect(sources.some((source) => source.endsWith('shared/xray/tracer.ts'))).toBe(true);
      // Correlation ids are read by plain paths (shared/observability.ts).
      expect(sources.some((source) => /node_modules\/@aws-lambda-powertools\/jmespath\//.test(source))).toBe(
        name === 'setup-api',
      );
    },
  );

  it.each(landed)('validate in %s with zod/mini and its English messages alone', (name) => {
    const zod = bundledSources(name).filter((source) => /node_modules\/zod\//.test(source));
    // The classic API cannot be tree-shaken, and each locale but English is dead weight (zod-locale.ts).
    expect(zod.filter((source) => /\/zod\/v4\/classic\//.test(source))).toEqual([]);
    expect(zod.filter((source) => /\/zod\/v4\/locales\/(?!(en|index)\.js$)/.test(source))).toEqual([]);
    expect(zod.some((source) => source.endsWith('/zod/v4/mini/schemas.js'))).toBe(true);
    expect(zod.some((source) => source.endsWith('/zod/v4/locales/en.js'))).toBe(true);
  });

  it.each(landed)('bundle into %s only the AWS clients its factory is built with', (name) => {
    const clients = new Set(
      bundledSources(name).flatMap((source) => /@aws-sdk\/client-([a-z-]+)\//.exec(source)?.[1] ?? []),
    );
    // The worker alone asks the validator for a re-check and reads legacy keys (its factory's Platform).
    expect(clients.has('lambda')).toBe(name === 'example-worker');
    expect(clients.has('secrets-manager')).toBe(name === 'example-worker');
    expect(clients.has('eventbridge')).toBe(name !== 'example-worker');
  });

  it.each(FUNCTION_NAMES.filter((name) => 'bundled' in FUNCTIONS[name]))(
    'compile the template catalogue into %s, and keep it out of its environment',
    (name) => {
      const fn = functions.find((f) => f.Properties.FunctionName === `keyless-test-${name}`)!;
      const [file] = fn.Properties.Handler.split('.');
      const asset = path.join(assemblyDir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
      const bundle = readFileSync(path.join(asset, `${file}.mjs`), 'utf8');
      // The catalogue's JSON, as a string literal in the bundle: the config reads it at cold start.
      expect(bundle).toMatch(/TEMPLATE_CATALOGUE:\s*['"`]\{\\?"current\\?":1/);
      expect(bundle).not.toContain(BUNDLED_VARIABLES_GLOBAL);
      expect(Object.keys(fn.Properties.Environment?.Variables ?? {})).not.toContain('TEMPLATE_CATALOGUE');
    },
  );
});
