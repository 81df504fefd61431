/**
 * `npm run config:check` validates keyless.config.json (or KEYLESS_CONFIG) and its permissions;
 * `npm run config:schema` writes keyless.config.schema.json, the JSON Schema editors check it with.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as z from 'zod/mini';
import { describeRecorded, providerTemplateVersion } from '../customer-template/version-history.ts';
import { loadProviderConfig, providerConfigPath } from './load.ts';
import { checkPermissions } from './policy-checks.ts';
import { providerConfigSchema } from './schema.ts';

export const SCHEMA_FILE = 'keyless.config.schema.json';

/** The JSON Schema of keyless.config.json, generated from the zod schema. */
export function providerConfigJsonSchema(): string {
  const schema = z.toJSONSchema(providerConfigSchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify({ ...schema, title: 'Keyless provider config' }, null, 2)}\n`;
}

async function main(command: string | undefined): Promise<number> {
  if (command === 'schema') {
    writeFileSync(SCHEMA_FILE, providerConfigJsonSchema());
    process.stdout.write(`Wrote ${SCHEMA_FILE}.\n`);
    return 0;
  }
  if (command === 'check') {
    const file = providerConfigPath();
    const config = loadProviderConfig(file);
    const { errors, warnings } = await checkPermissions(config);
    for (const warning of warnings) process.stderr.write(`Warning: ${warning}\n`);
    for (const error of errors) process.stderr.write(`Error: ${error}\n`);
    if (errors.length > 0) return 1;
    // A valid config's template is numbered: a changed one is recorded as the next version.
    const version = providerTemplateVersion(config, file, process.env);
    const recorded = describeRecorded(version);
    if (recorded) process.stdout.write(`${recorded}\n`);
    process.stdout.write(
      `${relative(process.cwd(), file) || file}: valid (${config.providerName}, customer template v${version.version}).\n`,
    );
    return 0;
  }
  process.stderr.write('Usage: npm run config:check | npm run config:schema\n');
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2]).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
