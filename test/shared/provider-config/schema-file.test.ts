import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { providerConfigJsonSchema, SCHEMA_FILE } from '#shared/provider-config/cli.ts';

describe('keyless.config.schema.json', () => {
  it('is the JSON Schema of the zod schema as it is now (run npm run config:schema after changing it)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(providerConfigJsonSchema());
  });

  it('is what the repository config names as its $schema', () => {
    expect(JSON.parse(readFileSync('keyless.config.json', 'utf8')).$schema).toBe(`./${SCHEMA_FILE}`);
  });
});
