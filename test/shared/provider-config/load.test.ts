import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadProviderConfig,
  ProviderConfigError,
  parseProviderConfig,
} from '#shared/provider-config/load.ts';

const valid = () => ({
  providerName: 'Acme Analytics',
  permissions: {
    ongoing: {
      managedPolicyArns: ['arn:aws:iam::aws:policy/SecurityAudit'],
      statements: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }],
    },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'keyless-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The problems a config is refused with. */
function problems(config: unknown): string[] {
  try {
    parseProviderConfig(config);
  } catch (error) {
    if (error instanceof ProviderConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('parseProviderConfig', () => {
  it('accepts a provider config and fills in what it leaves out', () => {
    expect(parseProviderConfig(valid())).toMatchObject({
      providerName: 'Acme Analytics',
      permissions: { setupPhase: { managedPolicyArns: [], statements: [] } },
      deployment: {},
    });
  });

  it.each([
    [
      'a missing provider name',
      { ...valid(), providerName: undefined },
      /^providerName: is required: the name your customers know you by/,
    ],
    [
      'an action not written service:Action',
      {
        ...valid(),
        permissions: {
          ongoing: { statements: [{ Effect: 'Allow', Action: ['s3GetObject'], Resource: '*' }] },
        },
      },
      /^permissions\.ongoing\.statements\[0\]\.Action\[0\]: must be written service:Action/,
    ],
    [
      'a lone "*" action',
      {
        ...valid(),
        permissions: { ongoing: { statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
      },
      /^permissions\.ongoing\.statements\[0\]\.Action: must be written service:Action/,
    ],
    [
      'a statement without Resource',
      { ...valid(), permissions: { ongoing: { statements: [{ Effect: 'Allow', Action: 's3:GetObject' }] } } },
      /^permissions\.ongoing\.statements\[0\]\.Resource: is required: an ARN, "\*" or a list of them/,
    ],
    [
      'an Effect other than Allow or Deny',
      {
        ...valid(),
        permissions: {
          ongoing: { statements: [{ Effect: 'allow', Action: 's3:GetObject', Resource: '*' }] },
        },
      },
      /^permissions\.ongoing\.statements\[0\]\.Effect: must be "Allow" or "Deny"/,
    ],
    [
      'a managed policy that is not AWS managed',
      {
        ...valid(),
        permissions: { ongoing: { managedPolicyArns: ['arn:aws:iam::123456789012:policy/Mine'] } },
      },
      /^permissions\.ongoing\.managedPolicyArns\[0\]: must be an AWS managed policy: arn:aws:iam::aws:policy\/<name>/,
    ],
    [
      'a misspelt setting',
      { ...valid(), permisions: {} },
      /^permisions: is not a setting Keyless knows; remove it or fix its spelling/,
    ],
    [
      'a bad deployment setting',
      { ...valid(), deployment: { stage: 'Prod' } },
      /^deployment\.stage: must be 1–20 lower-case letters/,
    ],
    [
      'a deployment setting of the wrong type',
      { ...valid(), deployment: { setupTtlDays: '7' } },
      /^deployment\.setupTtlDays: /,
    ],
  ])('refuses %s, naming the path and the fix', (_what, config, message) => {
    expect(problems(config)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it('lists every bad field in one error', () => {
    const config = {
      providerName: '',
      permissions: { ongoing: { statements: [{ Effect: 'Allow', Action: 'x', Resource: '' }] } },
    };
    expect(problems(config).length).toBeGreaterThanOrEqual(3);
    expect(() => parseProviderConfig(config, 'keyless.config.json')).toThrow(
      /^Invalid provider config keyless\.config\.json:\n {2}- /,
    );
  });
});

describe('loadProviderConfig', () => {
  it('names a file it cannot read and how to point at another', () => {
    expect(() => loadProviderConfig(join(dir, 'missing.json'))).toThrow(
      /cannot be read \(ENOENT\).*KEYLESS_CONFIG/,
    );
  });

  it('names a file that is not JSON', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "providerName": ');
    expect(() => loadProviderConfig(file)).toThrow(/is not valid JSON/);
  });

  it('reads the repository config, whose account is blank so nothing trusts a sample account', () => {
    const config = loadProviderConfig();
    expect(config.providerName).toBe('Keyless');
    expect(config.deployment.providerAccountId).toBe('');
  });
});
