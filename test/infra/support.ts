/** Builds the Keyless app for assertions: bundling skipped (fast), every catalogue function present. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { REPOSITORY_ROOT } from '#infra/constructs/keyless-function.ts';
import { buildKeylessApp } from '#infra/stacks/keyless-app.ts';
import { readSettings } from '#infra/stacks/settings.ts';
import { FUNCTION_NAMES } from '#shared/wiring/function-catalogue.ts';

export const ACCOUNT = '111111111111';

let stubRoot: string | undefined;

/** A functions folder with a stub handler per catalogue entry, for wiring tests that do not bundle. */
export function stubFunctionsRoot(): string {
  if (stubRoot) return stubRoot;
  // Entries must sit under the project root (esbuild resolves from it): use the untracked cache folder.
  const cache = path.join(REPOSITORY_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const root = mkdtempSync(path.join(cache, 'keyless-functions-'));
  for (const name of FUNCTION_NAMES) {
    mkdirSync(path.join(root, name));
    writeFileSync(path.join(root, name, 'handler.ts'), 'export const handler = async () => ({});\n');
  }
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  stubRoot = root;
  return root;
}

export function buildTestApp({
  context = {},
  functionsRoot = stubFunctionsRoot(),
  bundle = false,
  account = ACCOUNT,
}: {
  context?: Record<string, unknown>;
  functionsRoot?: string;
  bundle?: boolean;
  account?: string | undefined;
} = {}) {
  const app = new App({
    context: {
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      stage: 'test',
      homeRegion: 'eu-west-1',
      ...context,
    },
  });
  const settings = readSettings((key) => app.node.tryGetContext(key), {});
  const stacks = buildKeylessApp(app, settings, { account, functionsRoot });
  return { app, settings, ...stacks, template: () => Template.fromStack(stacks.core) };
}
