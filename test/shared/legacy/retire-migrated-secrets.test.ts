import {
  DeleteSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '#shared/errors.ts';
import { retireMigratedLegacySecrets } from '#shared/legacy/retire-migrated-secrets.ts';
import { type ConnectionStore, createConnectionStore } from '#shared/store/connection-store.ts';
import { buildLegacyConnection, randomAccountId } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';

const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
const secretsMock = mockClient(secretsManager);
const audit = { actor: 'test', reason: 'test setup' };
let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ConnectionStore;

beforeAll(async () => {
  table = await createTestTable();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(() => table.drop());
beforeEach(() => {
  secretsMock.reset();
  secretsMock.on(DeleteSecretCommand).resolves({});
});

const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:999988887777:secret:${name}-AbCdEf`;
const secret = (name: string, customerId: string, accountId: string) => ({
  ARN: arn(name),
  Name: name,
  Tags: [
    { Key: 'keyless:customerId', Value: customerId },
    { Key: 'keyless:accountId', Value: accountId },
  ],
});

async function legacy() {
  const accountId = randomAccountId();
  const connection = buildLegacyConnection({
    customerId: 'legacy-corp',
    accountId,
    secretRef: arn(`keyless/legacy/legacy-corp/${accountId}/a1b2c3d4`),
  });
  return store.createLegacyConnection(connection, audit);
}

/** What the validator writes when the customer's role is proven: ROLE, secret reference gone. */
async function migrated() {
  const connection = await legacy();
  return store.updateConnection({
    connection,
    set: {
      authMethod: 'ROLE',
      roleArn: `arn:aws:iam::${connection.accountId}:role/KeylessAccess`,
      externalId: 'keyless-legacy-corp-0123456789abcdef0123456789abcdef',
      validatedAt: new Date().toISOString(),
    },
    remove: ['secretRef', 'lastRemindedAt'],
    leaveLegacyIndex: true,
    audit,
  });
}

describe('retireMigratedLegacySecrets', () => {
  it("schedules deletion of the migrated connection's secrets, found by name prefix and tags", async () => {
    // Prepare
    const { customerId, accountId } = await migrated();
    const prefix = `keyless/legacy/legacy-corp/${accountId}/`;
    secretsMock
      .on(ListSecretsCommand)
      .resolvesOnce({ SecretList: [secret(`${prefix}a1b2c3d4`, customerId, accountId)], NextToken: 'p2' })
      .resolvesOnce({
        SecretList: [
          secret(`${prefix}e5f6a7b8`, customerId, accountId),
          // Same name prefix, another customer's tags (a hashed customer part could collide).
          secret(`${prefix}c0ffee00`, 'other-corp', accountId),
        ],
      });
    // Act
    const retired = await retireMigratedLegacySecrets({ store, secretsManager, customerId, accountId });
    // Assess
    expect(retired).toEqual([arn(`${prefix}a1b2c3d4`), arn(`${prefix}e5f6a7b8`)]);
    expect(secretsMock.commandCalls(ListSecretsCommand)[0]?.args[0].input.Filters).toEqual([
      { Key: 'name', Values: [prefix] },
    ]);
    const deleted = secretsMock.commandCalls(DeleteSecretCommand).map((call) => call.args[0].input);
    expect(deleted).toEqual(
      retired.map((SecretId) => expect.objectContaining({ SecretId, RecoveryWindowInDays: 7 })),
    );
  });

  it('refuses while the connection still uses its access keys, and deletes nothing', async () => {
    const { customerId, accountId } = await legacy();
    await expect(
      retireMigratedLegacySecrets({ store, secretsManager, customerId, accountId }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(secretsMock.commandCalls(DeleteSecretCommand)).toHaveLength(0);
    expect(secretsMock.commandCalls(ListSecretsCommand)).toHaveLength(0);
  });

  it('refuses an unknown connection', async () => {
    await expect(
      retireMigratedLegacySecrets({
        store,
        secretsManager,
        customerId: 'nobody',
        accountId: randomAccountId(),
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
