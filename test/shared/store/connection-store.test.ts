import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptItemError } from '#shared/store/decoders.ts';
import { itemKeys } from '#shared/store/table-definition.ts';
import { buildLegacyConnection, buildRoleConnection } from '../../support/builders.ts';
import { audit, storeFixture, uniqueCustomer } from './support.ts';

const STORAGE_ATTRIBUTES = ['PK', 'SK', 'legacyPK', 'legacySK', 'ttl', 'type'];

let fixture: Awaited<ReturnType<typeof storeFixture>>;

beforeAll(async () => {
  fixture = await storeFixture();
});
afterAll(() => fixture.table.drop());

/** A role connection item of `customerId` as the store writes it, with `overrides`. */
function storedConnection(customerId: string, overrides: Record<string, unknown> = {}) {
  const connection = buildRoleConnection({ customerId, accountId: '111122223333' });
  return {
    ...itemKeys.connection(customerId, connection.accountId),
    type: 'CONNECTION',
    ...connection,
    ...overrides,
  };
}

async function putRaw(item: Record<string, unknown>) {
  await fixture.table.documentClient.send(new PutCommand({ TableName: fixture.table.tableName, Item: item }));
}

describe('ConnectionStore', () => {
  it('refuses a stored connection without a status instead of returning it', async () => {
    // Prepare
    const customerId = uniqueCustomer();
    const { status: _status, ...corrupt } = storedConnection(customerId);
    await putRaw(corrupt);
    // Act
    const read = fixture.store.getConnection(customerId, '111122223333');
    // Assess
    await expect(read).rejects.toBeInstanceOf(CorruptItemError);
    await expect(read).rejects.toThrow(
      `Corrupt item (CUSTOMER#${customerId}, CONN#111122223333): status is missing.`,
    );
    await expect(fixture.store.listAllConnections(customerId)).rejects.toBeInstanceOf(CorruptItemError);
  });

  it("refuses an unknown status on the broker's projected read, naming the key it read", async () => {
    // Prepare
    const customerId = uniqueCustomer();
    await putRaw(storedConnection(customerId, { status: 'ZOMBIE' }));
    // Act
    const read = fixture.store.getConnectionAccess(customerId, '111122223333');
    // Assess
    await expect(read).rejects.toMatchObject({
      name: 'CorruptItemError',
      key: `CUSTOMER#${customerId}, CONN#111122223333`,
      field: 'status',
    });
  });

  it('never lets a storage attribute into a domain object', async () => {
    // Prepare + Act: every read and every write result of the store
    const customerId = uniqueCustomer();
    const registered = await fixture.registered(customerId);
    const updated = await fixture.store.updateConnection({ connection: registered, set: { lastError: 'x' } });
    const legacy = await fixture.store.createLegacyConnection(
      buildLegacyConnection({ customerId, createdAt: '2020-01-01T00:00:00.000Z' }),
      audit,
    );
    const byStatus = [];
    for await (const c of fixture.store.connectionsByStatus(['REGISTERED'])) byStatus.push(c);
    const results = [
      registered,
      updated,
      legacy,
      await fixture.store.getConnection(customerId, registered.accountId),
      await fixture.store.getConnectionAccess(customerId, registered.accountId),
      ...(await fixture.store.listAllConnections(customerId)),
      ...(await fixture.store.listConnections(customerId)).items,
      ...byStatus,
      await fixture.store.getSetup(customerId, 'setup-1'),
      ...(await fixture.store.listOpenSetups(customerId)),
      ...(await fixture.store.listAllAudit(customerId)),
      ...(await fixture.store.listAudit(customerId)).items,
      ...(await fixture.store.queryLegacyConnections({ createdBefore: '2021-01-01T00:00:00.000Z' })).items,
    ];
    // Assess
    expect(results).toHaveLength(17);
    for (const result of results) {
      expect(result).toBeDefined();
      for (const attribute of STORAGE_ATTRIBUTES) expect(result).not.toHaveProperty(attribute);
    }
  });
});
