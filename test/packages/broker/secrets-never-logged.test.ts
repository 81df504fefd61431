import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { createCredentialBroker } from '@keyless/broker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLegacyKeyReader } from '#shared/legacy/legacy-keys.ts';
import { type ConnectionStore, createConnectionStore } from '#shared/store/connection-store.ts';
import { captureOutput } from '../../shared/broker/support/capture-output.ts';
import { buildRoleConnection, buildSetup } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';

const CANARY_SECRET = 'CANARYstsSECRET-0c8e2d71-never-in-a-log';
const CANARY_TOKEN = 'CANARYstsTOKEN-9b3a-never-in-a-log';
const audit = { actor: 'test', reason: 'test setup' };

const sts = new STSClient({ region: 'us-east-1' });
const stsMock = mockClient(sts);

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ConnectionStore;
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  table = await createTestTable();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(() => table.drop());
beforeEach(() => {
  stsMock.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

async function activeConnection() {
  const customerId = `canary-${Math.random().toString(36).slice(2, 10)}`;
  const setup = await store.putSetup(buildSetup({ customerId }));
  const connection = await store.registerConnection({
    connection: buildRoleConnection({ customerId }),
    setup,
    audit,
  });
  return store.updateConnection({ connection, to: 'ACTIVE', audit });
}

describe('CredentialBroker logging', () => {
  it('logs the session it assumed but never the credentials STS returned', async () => {
    // Prepare
    stsMock.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIACANARY0000000001',
        SecretAccessKey: CANARY_SECRET,
        SessionToken: CANARY_TOKEN,
        Expiration: new Date(Date.now() + 3_600_000),
      },
      AssumedRoleUser: {
        Arn: 'arn:aws:sts::111122223333:assumed-role/KeylessAccess/s',
        AssumedRoleId: 'AROA:s',
      },
    });
    const connection = await activeConnection();
    const broker = createCredentialBroker({
      store,
      sts,
      legacyKeys: createLegacyKeyReader({
        provider: new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ region: 'us-east-1' }) }),
      }),
      serviceName: 'keyless',
      sourceIdentity: 'report-worker',
      logger: new Logger({ serviceName: 'canary-test', logLevel: 'DEBUG' }),
    });
    // Act: a miss, a hit, then a denied refresh after the cache is cleared.
    await broker.getCredentials(connection);
    await broker.getCredentials(connection);
    broker.clear();
    stsMock
      .on(AssumeRoleCommand)
      .rejects(
        new STSServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'denied' }),
      );
    const denied = await broker.getCredentials(connection).catch((error: unknown) => error);
    // Assess
    const records = output.records();
    expect(records.find((r) => r.message === 'Assumed customer role')).toMatchObject({
      customerId: connection.customerId,
      accountId: connection.accountId,
    });
    const everything = `${output.text()}\n${String(denied)}\n${JSON.stringify(denied)}`;
    expect(everything).not.toContain(CANARY_SECRET);
    expect(everything).not.toContain(CANARY_TOKEN);
  });
});
