import {
  CreateSecretCommand,
  DeleteSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '#shared/errors.ts';
import { registerLegacyConnection, retireLegacySecret } from '#shared/legacy/register-legacy-connection.ts';
import { type ConnectionStore, createConnectionStore } from '#shared/store/connection-store.ts';
import { itemKeys } from '#shared/store/table-definition.ts';
import { randomAccountId } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';

const CANARY = 'CANARYregisterSECRET-44e1-never-stored';
const NOW = new Date('2026-03-01T12:00:00Z');
const client = new SecretsManagerClient({ region: 'us-east-1' });
const secretsManager = mockClient(client);

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ConnectionStore;

beforeAll(async () => {
  table = await createTestTable();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(() => table.drop());
beforeEach(() => {
  secretsManager.reset();
  secretsManager.on(CreateSecretCommand).callsFake(async (input: { Name: string }) => ({
    ARN: `arn:aws:secretsmanager:us-east-1:999988887777:secret:${input.Name}-AbCdEf`,
    Name: input.Name,
  }));
  secretsManager.on(DeleteSecretCommand).resolves({});
});

const input = (overrides: Record<string, unknown> = {}) => ({
  customerId: `old-${Math.random().toString(36).slice(2, 10)}`,
  accountId: randomAccountId(),
  keys: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: CANARY },
  ...overrides,
});

describe('registerLegacyConnection', () => {
  it('stores the keys in Secrets Manager and only the secret ARN in DynamoDB', async () => {
    // Act
    const request = input();
    const connection = await registerLegacyConnection(request, { store, secretsManager: client, now: NOW });
    // Assess
    const create = secretsManager.commandCalls(CreateSecretCommand)[0]?.args[0].input;
    expect(JSON.parse(create?.SecretString ?? '{}')).toEqual(request.keys);
    expect(create?.Name).toMatch(new RegExp(`^keyless/legacy/${request.customerId}/${request.accountId}/`));
    expect(connection).toMatchObject({
      authMethod: 'ACCESS_KEYS',
      status: 'ACTIVE',
      secretRef: expect.stringMatching(/^arn:aws:secretsmanager:.*-AbCdEf$/),
    });
    const { Item } = await table.documentClient.send(
      new GetCommand({
        TableName: table.tableName,
        Key: itemKeys.connection(request.customerId, request.accountId),
      }),
    );
    expect(JSON.stringify(Item)).not.toContain(CANARY);
    expect(JSON.stringify(Item)).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('indexes the connection in the sparse legacy index, counting the grace period from createdAt', async () => {
    const request = input({ createdAt: '2025-10-01T00:00:00Z' });
    await registerLegacyConnection(request, { store, secretsManager: client, now: NOW });
    const page = await store.queryLegacyConnections({
      createdBefore: '2025-10-02T00:00:00.000Z',
      limit: 100,
    });
    expect(page.items).toContainEqual(
      expect.objectContaining({ customerId: request.customerId, createdAt: '2025-10-01T00:00:00.000Z' }),
    );
  });

  it('refuses an account that is already connected, before creating any secret', async () => {
    const request = input();
    await registerLegacyConnection(request, { store, secretsManager: client, now: NOW });
    await expect(
      registerLegacyConnection(request, { store, secretsManager: client, now: NOW }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(secretsManager).toHaveReceivedCommandTimes(CreateSecretCommand, 1);
  });

  it('deletes the secret it created when the connection write loses a race', async () => {
    const request = input();
    const racingStore: typeof store = {
      ...store,
      createLegacyConnection: async () => {
        throw new ConflictError('A connection for this account already exists (ACTIVE).');
      },
    };
    await expect(
      registerLegacyConnection(request, { store: racingStore, secretsManager: client, now: NOW }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(secretsManager).toHaveReceivedCommandWith(DeleteSecretCommand, {
      ForceDeleteWithoutRecovery: true,
    });
  });

  it('refuses malformed keys naming the fields, never echoing the values', async () => {
    const attempt = registerLegacyConnection(input({ keys: { accessKeyId: CANARY, secretAccessKey: 'x' } }), {
      store,
      secretsManager: client,
      now: NOW,
    });
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof ValidationError)) throw new Error('expected a ValidationError');
    expect(error.message).toMatch(/keys\.accessKeyId; keys\.secretAccessKey/);
    expect(JSON.stringify({ message: error.message, issues: error.issues })).not.toContain(CANARY);
    expect(secretsManager).toHaveReceivedCommandTimes(CreateSecretCommand, 0);
  });

  it('refuses a createdAt in the future', async () => {
    await expect(
      registerLegacyConnection(input({ createdAt: '2027-01-01T00:00:00Z' }), {
        store,
        secretsManager: client,
        now: NOW,
      }),
    ).rejects.toThrow(/createdAt must not be in the future/);
  });
});

describe('retireLegacySecret', () => {
  beforeEach(() => secretsManager.reset());

  it('schedules a recoverable deletion', async () => {
    secretsManager.on(DeleteSecretCommand).resolves({});
    await retireLegacySecret({ secretsManager: client, secretRef: 'arn:secret' });
    expect(secretsManager).toHaveReceivedCommandWith(DeleteSecretCommand, {
      SecretId: 'arn:secret',
      RecoveryWindowInDays: 7,
    });
  });

  it('is idempotent when the secret is already gone', async () => {
    secretsManager
      .on(DeleteSecretCommand)
      .rejects(new ResourceNotFoundException({ $metadata: {}, message: 'Secrets Manager cannot find it' }));
    await expect(
      retireLegacySecret({ secretsManager: client, secretRef: 'arn:gone' }),
    ).resolves.toBeUndefined();
  });
});
