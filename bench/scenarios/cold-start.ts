/**
 * Cold start, per function: the size of its minified esbuild bundle as the CDK construct
 * (infra/constructs/keyless-function.ts) deploys it — ESM, node22, AWS SDK bundled in, an external
 * source map without sources — and its module initialisation time in a fresh Node process run
 * with `--enable-source-maps` as the function's NODE_OPTIONS sets it, bundled vs. importing the
 * same handler unbundled (TypeScript sources through Node's own `--experimental-transform-types`,
 * dependencies resolved file by file from node_modules).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import {
  BUNDLE_ALIASES,
  BUNDLE_CONDITIONS,
  BUNDLE_MAIN_FIELDS,
} from '../../infra/constructs/bundle-options.ts';
import { TS_EXEC_ARGV } from '../harness/child.ts';
import type { BenchOptions } from '../harness/options.ts';
import type { ColdStartRow } from '../harness/results.ts';
import { median, ratio, round } from '../harness/stats.ts';
import { type Column, formatTable } from '../harness/table.ts';

const run = promisify(execFile);
/** The deployed functions' NODE_OPTIONS. */
const LAMBDA_NODE_OPTIONS = ['--enable-source-maps'];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROBE = fileURLToPath(new URL('./init-probe.mjs', import.meta.url));

/** Plausible values for every variable a handler may validate at cold start; nothing is called. */
const HANDLER_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_EC2_METADATA_DISABLED: 'true',
  TABLE_NAME: 'keyless',
  EVENT_BUS_NAME: 'keyless',
  PROVIDER_ACCOUNT_ID: '123456789012',
  HOME_REGION: 'us-east-1',
  TEMPLATE_URL: 'https://keyless-templates.s3.amazonaws.com/keyless-role.yaml',
  REGISTRATION_TOPIC_ARNS: JSON.stringify({
    'us-east-1': 'arn:aws:sns:us-east-1:123456789012:keyless-registrations',
  }),
  POWERTOOLS_SERVICE_NAME: 'keyless',
  POWERTOOLS_LOG_LEVEL: 'WARN',
  POWERTOOLS_METRICS_NAMESPACE: 'Keyless',
  POWERTOOLS_METRICS_DISABLED: 'true',
  // Compiled into the deployed bundle (shared/wiring/bundled-variables.ts); a minimal one here.
  TEMPLATE_CATALOGUE: JSON.stringify({ current: 1, parameters: [], upgrades: {} }),
};

/** The function folders that have a handler today. */
export function discoverFunctions(root = ROOT): string[] {
  const dir = join(root, 'functions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'handler.ts')))
    .map((entry) => entry.name)
    .sort();
}

/** The bundle as the CDK construct ships it: one minified ESM file with the AWS SDK inside, and its map. */
async function bundle(name: string, outDir: string): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [join(ROOT, 'functions', name, 'handler.ts')],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: [...BUNDLE_MAIN_FIELDS],
    conditions: [...BUNDLE_CONDITIONS],
    alias: { ...BUNDLE_ALIASES },
    sourcemap: true,
    sourcesContent: false,
    // CommonJS dependencies inside an ESM bundle still call require().
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'silent',
  });
  return outfile;
}

async function initMs(execArgv: readonly string[], target: string): Promise<number> {
  const { stdout } = await run(process.execPath, [...execArgv, PROBE, target], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...HANDLER_ENV },
  });
  return (JSON.parse(stdout) as { initMs: number }).initMs;
}

export async function runColdStart({
  quick,
}: BenchOptions): Promise<{ rows: ColdStartRow[]; report: string }> {
  const functions = discoverFunctions();
  const runs = quick ? 3 : 7;
  const outDir = await mkdtemp(join(tmpdir(), 'keyless-bench-'));
  const rows: ColdStartRow[] = [];
  const loaderMs: number[] = [];
  const mapBytes = new Map<string, number>();
  try {
    // The unbundled figure includes Node's TypeScript transform: its fixed cost, on an empty module.
    const empty = join(outDir, 'empty.ts');
    await writeFile(empty, 'export const empty: number = 0;\n');
    for (let i = 0; i < runs; i++)
      loaderMs.push(await initMs([...LAMBDA_NODE_OPTIONS, ...TS_EXEC_ARGV], pathToFileURL(empty).href));
    for (const name of functions) {
      const bundled = await bundle(name, outDir);
      const source = pathToFileURL(join(ROOT, 'functions', name, 'handler.ts')).href;
      const bundledMs: number[] = [];
      const unbundledMs: number[] = [];
      // Alternate the two so background load hits both alike.
      for (let i = 0; i < runs; i++) {
        bundledMs.push(await initMs(LAMBDA_NODE_OPTIONS, pathToFileURL(bundled).href));
        unbundledMs.push(await initMs([...LAMBDA_NODE_OPTIONS, ...TS_EXEC_ARGV], source));
      }
      mapBytes.set(name, (await stat(`${bundled}.map`)).size);
      rows.push({
        function: name,
        bundleBytes: (await stat(bundled)).size,
        initMsBundled: round(median(bundledMs)),
        initMsUnbundled: round(median(unbundledMs)),
      });
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  const columns: Column<ColdStartRow>[] = [
    { header: 'function', value: (r) => r.function },
    { header: 'bundle KB', value: (r) => round(r.bundleBytes / 1024) },
    { header: 'map KB', value: (r) => round((mapBytes.get(r.function) ?? 0) / 1024) },
    { header: 'init bundled ms', value: (r) => r.initMsBundled },
    { header: 'init unbundled ms', value: (r) => r.initMsUnbundled },
    { header: 'bundled vs unbundled', value: (r) => ratio(r.initMsBundled, r.initMsUnbundled) },
  ];
  const [totalBundled, totalUnbundled] = [
    rows.reduce((sum, r) => sum + r.initMsBundled, 0),
    rows.reduce((sum, r) => sum + r.initMsUnbundled, 0),
  ];
  const report = functions.length
    ? [
        formatTable(`Cold start (median of ${runs} fresh processes per variant)`, columns, rows),
        `  Headline: bundled init takes ${ratio(totalBundled, totalUnbundled)} the unbundled time over all functions; ` +
          `the unbundled figure includes ~${round(median(loaderMs))} ms of Node's TypeScript loader (measured on an empty module).`,
      ].join('\n')
    : '\nCold start: no functions/<name>/handler.ts yet, nothing measured.\n';
  return { rows, report };
}
