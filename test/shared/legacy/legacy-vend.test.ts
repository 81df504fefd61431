import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { createCredentialBroker } from '@keyless/broker';
import { ConnectionRevokedError, LegacyKeysUnavailableError } from '@keyless/broker/errors';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLegacyKeyReader } from '#shared/legacy/legacy-keys.ts';
import { type ConnectionStore, createConnectionStore } from '#shared/store/connection-store.ts';
import { buildLegacyConnection } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { captureOutput } from '../broker/support/capture-output.ts';

const CANARY_SECRET = 'CANARYlegacySECRET-5d1e0b9c-never-in-a-log';
const CANARY_TOKEN = 'CANARYlegacyTOKEN-a41f-never-in-a-log';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const audit = { actor: 'test', reason: 'test setup' };

const sts = new STSClient({ region: 'us-east-1' });
const stsMock = mockClient(sts);
const secretsClient = new SecretsManagerClient({ region: 'us-east-1' });
const secretsManager = mockClient(secretsClient);

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
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({
      accessKeyId: 'AKIACANARY0000000001',
      secretAccessKey: CANARY_SECRET,
      sessionToken: CANARY_TOKEN,
    }),
  });
  output = captureOutput();
});
afterEach(() => output.restore());

function broker() {
  return createCredentialBroker({
    store,
    sts,
    legacyKeys: createLegacyKeyReader({ provider: new SecretsProvider({ awsSdkV3Client: secretsClient }) }),
    serviceName: 'keyless',
    sourceIdentity: 'report-worker',
    // Every level on: the assertion below covers every line the broker can write.
    logger: new Logger({ serviceName: 'legacy-test', logLevel: 'DEBUG' }),
    clock: () => NOW,
  });
}

async function legacy(createdDaysAgo: number, secretName = 'keyless/legacy/x-AbCdEf') {
  return store.createLegacyConnection(
    buildLegacyConnection({
      customerId: `legacy-${Math.random().toString(36).slice(2, 10)}`,
      secretRef: `arn:aws:secretsmanager:us-east-1:999988887777:secret:${secretName}`,
      createdAt: new Date(NOW - createdDaysAgo * 86_400_000).toISOString(),
    }),
    audit,
  );
}

describe('CredentialBroker legacy access-key path', () => {
  it('returns the stored keys through the same provider interface, without AssumeRole', async () => {
    // Prepare
    const connection = await legacy(12);
    // Act
    const credentials = await broker().credentialsFor(connection)();
    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'AKIACANARY0000000001',
      secretAccessKey: CANARY_SECRET,
      sessionToken: CANARY_TOKEN,
      accountId: connection.accountId,
    });
    // An expiration is what makes the SDK come back and re-check the connection.
    expect(credentials.expiration).toBeInstanceOf(Date);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: connection.secretRef,
    });
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
  });

  it('logs a structured deprecation warning with the days since the connection was created', async () => {
    const connection = await legacy(120);
    await broker().getCredentials(connection);
    const warning = output.records().find((r) => r.deprecation === 'ACCESS_KEYS');
    expect(warning).toMatchObject({
      level: 'WARN',
      customerId: connection.customerId,
      accountId: connection.accountId,
      daysOnAccessKeys: 120,
      createdAt: connection.createdAt,
    });
  });

  it('never writes a legacy key to a log line or an error, even when the secret is malformed', async () => {
    // Prepare: a good vend, then a secret whose JSON is broken around the canary.
    const connection = await legacy(3);
    const b = broker();
    await b.getCredentials(connection);
    await b.getCredentials(connection);
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: `{"secretAccessKey":"${CANARY_SECRET}"` });
    const other = await legacy(4, 'keyless/legacy/broken-GhIjKl');
    // Act
    const failure = await b.getCredentials(other).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(LegacyKeysUnavailableError);
    expect(output.records().length).toBeGreaterThan(0);
    const everything = `${output.text()}\n${String(failure)}\n${JSON.stringify(failure)}\n${String((failure as Error).cause)}`;
    expect(everything).not.toContain(CANARY_SECRET);
    expect(everything).not.toContain(CANARY_TOKEN);
  });

  it('refuses a revoked legacy connection', async () => {
    const connection = await legacy(30);
    await store.updateConnection({ connection, to: 'REVOKED', audit });
    await expect(broker().getCredentials(connection)).rejects.toBeInstanceOf(ConnectionRevokedError);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
  });
});
