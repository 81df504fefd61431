import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLegacyKeyReader, LegacySecretError, parseLegacyKeys } from '#shared/legacy/legacy-keys.ts';

const CANARY = 'CANARYsecretKEYnever-logged-7f3c9a';
const client = new SecretsManagerClient({ region: 'us-east-1' });
const secretsManager = mockClient(client);

describe('parseLegacyKeys', () => {
  it('reads accessKeyId, secretAccessKey and an optional sessionToken', () => {
    const keys = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: CANARY };
    expect(parseLegacyKeys(JSON.stringify(keys), 'ref')).toEqual(keys);
  });

  it('reports a secret that is not JSON without quoting any of it', () => {
    const parse = () => parseLegacyKeys(`${CANARY} plain text`, 'keyless/legacy/acme');
    expect(parse).toThrow(LegacySecretError);
    expect(parse).toThrow(/keyless\/legacy\/acme is not JSON/);
    expect(() => parse()).not.toThrow(new RegExp(CANARY));
  });

  it('names the bad fields of a wrong shape, never their values', () => {
    let message = '';
    try {
      parseLegacyKeys(JSON.stringify({ accessKeyId: CANARY, secretAccessKey: 'short' }), 'ref');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/check accessKeyId, secretAccessKey/);
    expect(message).not.toContain(CANARY);
  });
});

describe('createLegacyKeyReader', () => {
  beforeEach(() => secretsManager.reset());

  it('reads through Powertools parameters and serves repeat reads from its cache', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: CANARY }),
    });
    const reader = createLegacyKeyReader({ provider: new SecretsProvider({ awsSdkV3Client: client }) });
    // Act
    const first = await reader.read('keyless/legacy/acme');
    const second = await reader.read('keyless/legacy/acme');
    // Assess
    expect(second).toEqual(first);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'keyless/legacy/acme',
    });
  });

  it('wraps a Secrets Manager failure in LegacySecretError and caches nothing', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(
        Object.assign(new Error('Secrets Manager cannot find the secret'), {
          name: 'ResourceNotFoundException',
        }),
      )
      .resolves({
        SecretString: JSON.stringify({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: CANARY }),
      });
    const reader = createLegacyKeyReader({ provider: new SecretsProvider({ awsSdkV3Client: client }) });
    await expect(reader.read('missing')).rejects.toBeInstanceOf(LegacySecretError);
    await expect(reader.read('missing')).resolves.toMatchObject({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE' });
  });
});
