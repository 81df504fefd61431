import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  historyMode,
  providerTemplateVersion,
  TemplateHistoryError,
  templateHistoryPath,
} from '#shared/customer-template/version-history.ts';
import { providerConfigSchema } from '#shared/provider-config/schema.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyless-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const provider = (actions: string[]) =>
  providerConfigSchema.parse({
    providerName: 'Acme Analytics',
    permissions: { ongoing: { statements: [{ Effect: 'Allow', Action: actions, Resource: '*' }] } },
  });
const local = { CI: undefined };
const ci = { CI: 'true' };

describe('templateHistoryPath', () => {
  it('puts the history beside the config it belongs to', () => {
    expect(templateHistoryPath('/p/keyless.config.json')).toBe('/p/keyless.template-versions.json');
    expect(templateHistoryPath('/p/examples/cost.json')).toBe('/p/examples/cost.template-versions.json');
  });
});

describe('providerTemplateVersion', () => {
  it('records version 1 on the first build and keeps it on a rebuild', () => {
    const config = join(dir, 'keyless.config.json');
    expect(providerTemplateVersion(provider(['ce:GetCostAndUsage']), config, local)).toMatchObject({
      version: 1,
      recorded: { changes: [] },
    });
    const again = providerTemplateVersion(provider(['ce:GetCostAndUsage']), config, local);
    expect(again.version).toBe(1);
    expect(again.recorded).toBeUndefined();
  });

  it('records the next version, with its changes, when a permission is added', () => {
    const config = join(dir, 'keyless.config.json');
    providerTemplateVersion(provider(['ce:GetCostAndUsage']), config, local);
    const changed = providerTemplateVersion(
      provider(['ce:GetCostAndUsage', 'ce:GetCostForecast']),
      config,
      local,
    );
    expect(changed).toMatchObject({ version: 2, recorded: { changes: ['Allows ce:GetCostForecast'] } });
    expect(changed.catalogue.upgrades['1']?.changes).toEqual(['Allows ce:GetCostForecast']);
    const file = JSON.parse(readFileSync(templateHistoryPath(config), 'utf8')) as { versions: unknown[] };
    expect(file.versions).toHaveLength(2);
  });

  it('under CI refuses a template the history does not record, naming the change, the file and the fix', () => {
    const config = join(dir, 'keyless.config.json');
    providerTemplateVersion(provider(['ce:GetCostAndUsage']), config, local);
    const build = () => providerTemplateVersion(provider(['ce:GetCostForecast']), config, ci);
    expect(build).toThrow(TemplateHistoryError);
    expect(build).toThrow(
      /keyless\.template-versions\.json.*Allows ce:GetCostForecast.*config:check.*commit/s,
    );
    // Nothing written: the history still holds one version.
    expect(providerTemplateVersion(provider(['ce:GetCostAndUsage']), config, ci).version).toBe(1);
  });

  it('refuses a history file that is not one, saying to restore it', () => {
    const config = join(dir, 'keyless.config.json');
    writeFileSync(templateHistoryPath(config), '{"versions":[{"version":2}]}');
    expect(() => providerTemplateVersion(provider(['ce:GetCostAndUsage']), config, local)).toThrow(
      /not a template version history.*Restore it/,
    );
    writeFileSync(templateHistoryPath(config), '{');
    expect(() => providerTemplateVersion(provider(['ce:GetCostAndUsage']), config, local)).toThrow(
      /not valid JSON/,
    );
  });

  it('reads CI=false as a developer machine', () => {
    expect(historyMode({ CI: 'false' })).toBe('record');
    expect(historyMode({ CI: '1' })).toBe('check');
  });
});

describe("the repository's own history", () => {
  it('records the template keyless.config.json builds (a stale history fails CI)', async () => {
    const { loadProviderConfig } = await import('#shared/provider-config/load.ts');
    const config = loadProviderConfig('keyless.config.json');
    expect(() => providerTemplateVersion(config, 'keyless.config.json', ci)).not.toThrow();
  });
});
