import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runLegacyCli } from '#shared/legacy/cli.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { randomAccountId } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';

const CANARY = 'CANARYcliSECRET-0b7d-never-printed';
const secretsManager = mockClient(SecretsManagerClient);
let table: Awaited<ReturnType<typeof createTestTable>>;

beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());
beforeEach(() => {
  secretsManager.reset();
  secretsManager.on(CreateSecretCommand).callsFake(async (input: { Name: string }) => ({
    ARN: `arn:aws:secretsmanager:us-east-1:999988887777:secret:${input.Name}-AbCdEf`,
  }));
});

function io(env: Record<string, string>, stdin = '') {
  const printed: string[] = [];
  return {
    printed,
    io: {
      env: { TABLE_NAME: table.tableName, ...env },
      readStdin: async () => stdin,
      print: (line: string) => printed.push(line),
    },
  };
}

describe('npm run legacy', () => {
  it('registers a legacy connection from keys in the environment and prints only the reference', async () => {
    const accountId = randomAccountId();
    const run = io({ LEGACY_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', LEGACY_SECRET_ACCESS_KEY: CANARY });
    await runLegacyCli(['register', '--customer', 'cli-corp', '--account', accountId], run.io);
    const store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
    expect(await store.getConnection('cli-corp', accountId)).toMatchObject({ authMethod: 'ACCESS_KEYS' });
    expect(run.printed.join('\n')).toContain('"secretRef"');
    expect(run.printed.join('\n')).not.toContain(CANARY);
  });

  it('refuses malformed stdin without quoting it', async () => {
    const run = io({}, `{"secretAccessKey":"${CANARY}"`);
    const failure = runLegacyCli(
      ['register', '--customer', 'cli-corp', '--account', randomAccountId(), '--keys-from-stdin'],
      run.io,
    );
    await expect(failure).rejects.toThrow(/not a JSON object/);
    await expect(failure).rejects.not.toThrow(new RegExp(CANARY));
  });

  it('prints the usage for an unknown command', async () => {
    await expect(runLegacyCli(['migrate'], io({}).io)).rejects.toThrow(/Usage:/);
  });
});
