import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '#shared/errors.ts';
import { buildLegacyConnection } from '../../support/builders.ts';
import { audit, storeFixture } from './support.ts';

let fixture: Awaited<ReturnType<typeof storeFixture>>;
let store: typeof fixture.store;
let registered: typeof fixture.registered;

beforeAll(async () => {
  fixture = await storeFixture();
  ({ store, registered } = fixture);
});
afterAll(() => fixture.table.drop());

describe('legacy connections', () => {
  it('indexes legacy connections in the sparse index and finds those past a date', async () => {
    const old = buildLegacyConnection({ customerId: 'legacy-a', createdAt: '2026-01-01T00:00:00.000Z' });
    const recent = buildLegacyConnection({ customerId: 'legacy-b', createdAt: '2026-11-20T00:00:00.000Z' });
    await store.createLegacyConnection(old, audit);
    await store.createLegacyConnection(recent, audit);
    await registered();
    const page = await store.queryLegacyConnections({ createdBefore: '2026-08-01T00:00:00.000Z' });
    expect(page.items.map((i) => i.customerId)).toEqual(['legacy-a']);
    expect(page.itemsRead).toBe(1);
  });

  it('drops the sparse index keys when a connection leaves access keys', async () => {
    const legacy = await store.createLegacyConnection(
      buildLegacyConnection({ customerId: 'legacy-c', createdAt: '2025-01-01T00:00:00.000Z' }),
      audit,
    );
    await store.updateConnection({
      connection: legacy,
      set: { authMethod: 'ROLE', roleArn: `arn:aws:iam::${legacy.accountId}:role/KeylessAccess` },
      remove: ['secretRef'],
      leaveLegacyIndex: true,
      audit,
    });
    const page = await store.queryLegacyConnections({ createdBefore: '2025-06-01T00:00:00.000Z' });
    expect(page.items.map((i) => i.customerId)).not.toContain('legacy-c');
  });

  it('refuses a second legacy connection for the account, naming what it found, and appends no entry', async () => {
    // Prepare
    const legacy = await store.createLegacyConnection(
      buildLegacyConnection({ customerId: 'legacy-d' }),
      audit,
    );
    // Act
    const again = store.createLegacyConnection(
      buildLegacyConnection({ customerId: 'legacy-d', accountId: legacy.accountId }),
      audit,
    );
    // Assess
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    await expect(again).rejects.toMatchObject({
      message: `A connection for account ${legacy.accountId} already exists (ACTIVE).`,
      current: { status: 'ACTIVE', version: 1 },
    });
    expect(await store.listAllAudit('legacy-d')).toHaveLength(1);
  });

  it('returns the legacy connection as stored: ACTIVE at version 1, without the index keys', async () => {
    const legacy = await store.createLegacyConnection(
      buildLegacyConnection({ customerId: 'legacy-e', status: 'REGISTERED', version: 5 }),
      audit,
    );
    expect(legacy).toMatchObject({ status: 'ACTIVE', version: 1, authMethod: 'ACCESS_KEYS' });
    expect(legacy).not.toHaveProperty('legacyPK');
    expect(await store.getConnection('legacy-e', legacy.accountId)).toEqual(legacy);
  });
});
