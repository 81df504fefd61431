/**
 * The package reads the Keyless table on its own (no import of the store), so these checks keep
 * its keys and its decoding equal to the store's: the same item, read both ways, gives the same access.
 */
import { connectionKey, createDynamoDBStatusReader, FEED_KEYS } from '@keyless/broker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectionStore, createConnectionStore } from '#shared/store/connection-store.ts';
import { itemKeys } from '#shared/store/table-definition.ts';
import { buildLegacyConnection, buildRoleConnection, buildSetup } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';

const audit = { actor: 'test', reason: 'contract' } as const;
let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ConnectionStore;

beforeAll(async () => {
  table = await createTestTable();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(() => table.drop());

describe('Function: createDynamoDBStatusReader', () => {
  it('builds the connection key the store builds, in a partition no store item uses for the feed', () => {
    expect(connectionKey('acme:eu', '111122223333')).toEqual(itemKeys.connection('acme:eu', '111122223333'));
    expect(FEED_KEYS.partition).not.toMatch(/^(CUSTOMER|SETUP|STACK|ROLE|JOB|IDEMPOTENCY)#/);
  });

  it('reads a role connection and a legacy connection exactly as the store does', async () => {
    // Prepare
    const role = buildRoleConnection({ customerId: 'contract-role' });
    const setup = await store.putSetup(buildSetup({ customerId: role.customerId }));
    const registered = await store.registerConnection({ connection: role, setup, audit });
    await store.updateConnection({ connection: registered, to: 'ACTIVE', audit });
    const legacy = buildLegacyConnection({ customerId: 'contract-legacy' });
    await store.createLegacyConnection(legacy, audit);
    const reader = createDynamoDBStatusReader({ client: table.client, tableName: table.tableName });
    // Act / Assess
    for (const { customerId, accountId } of [role, legacy]) {
      expect(await reader.getConnectionAccess(customerId, accountId)).toEqual(
        await store.getConnectionAccess(customerId, accountId),
      );
    }
    expect(await reader.getConnectionAccess('contract-none', '111122223333')).toBeUndefined();
  });
});
