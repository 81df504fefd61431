import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenTransitionError } from '#shared/errors.ts';
import { buildRoleConnection, buildSetup } from '../../support/builders.ts';
import { audit, storeFixture } from './support.ts';

let fixture: Awaited<ReturnType<typeof storeFixture>>;
let store: typeof fixture.store;
let registered: typeof fixture.registered;

beforeAll(async () => {
  fixture = await storeFixture();
  ({ store, registered } = fixture);
});
afterAll(() => fixture.table.drop());

describe('connections', () => {
  describe('registerConnection', () => {
    it('records REGISTERED at version 1 with one audit entry and marks the setup USED', async () => {
      // Act
      const connection = await registered();
      // Assess
      const stored = await store.getConnection(connection.customerId, connection.accountId);
      expect(stored).toMatchObject({ status: 'REGISTERED', version: 1, authMethod: 'ROLE' });
      expect(stored).not.toHaveProperty('PK');
      const trail = await store.listAllAudit(connection.customerId);
      expect(trail).toEqual([
        expect.objectContaining({ from: 'NONE', to: 'REGISTERED', version: 1, actor: 'test' }),
      ]);
      expect((await store.getSetup(connection.customerId, 'setup-1'))?.status).toBe('USED');
    });

    it('refuses an expired setup and leaves no connection', async () => {
      const setup = await store.putSetup(
        buildSetup({ customerId: 'expired-co', expiresAt: new Date(Date.now() - 1000).toISOString() }),
      );
      const connection = buildRoleConnection({ customerId: 'expired-co' });
      await expect(store.registerConnection({ connection, setup, audit })).rejects.toThrow(
        /setup is no longer open/,
      );
      expect(await store.getConnection('expired-co', connection.accountId)).toBeUndefined();
      expect(await store.listAllAudit('expired-co')).toEqual([]);
    });

    it('refuses a second registration of the same account with a typed conflict', async () => {
      const first = await registered();
      const setup = buildSetup({ customerId: first.customerId });
      const again = store.registerConnection({
        connection: buildRoleConnection({ customerId: first.customerId, accountId: first.accountId }),
        setup,
        audit,
      });
      await expect(again).rejects.toBeInstanceOf(ConflictError);
      await expect(again).rejects.toMatchObject({ current: { status: 'REGISTERED', version: 1 } });
    });

    it('never resurrects a REVOKED connection with a late Create of the same External ID', async () => {
      const connection = await registered();
      const setup = await store.getSetup(connection.customerId, 'setup-1');
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      const late = store.registerConnection({
        connection: buildRoleConnection({
          customerId: connection.customerId,
          accountId: connection.accountId,
        }),
        setup: setup!,
        audit,
      });
      await expect(late).rejects.toMatchObject({ name: 'ConflictError', current: { status: 'REVOKED' } });
      expect((await store.getConnection(connection.customerId, connection.accountId))?.status).toBe(
        'REVOKED',
      );
    });

    it('never lets an offer issued before the revocation replace a REVOKED connection, even with another External ID', async () => {
      // Prepare: a second offer, open and issued before the revocation (outside review, point 3)
      const connection = await registered();
      const olderOffer = await store.putSetup(
        buildSetup({
          customerId: connection.customerId,
          setupId: 'setup-older',
          externalId: 'keyless-acme-corp-older',
        }),
      );
      await store.updateConnection({
        connection,
        to: 'REVOKED',
        set: { revokedAt: new Date(Date.now() + 1000).toISOString() },
        audit,
      });
      // Act
      const late = store.registerConnection({
        connection: buildRoleConnection({
          customerId: connection.customerId,
          accountId: connection.accountId,
          externalId: olderOffer.externalId,
          setupId: olderOffer.setupId,
        }),
        setup: olderOffer,
        audit,
      });
      // Assess
      await expect(late).rejects.toMatchObject({ name: 'ConflictError', current: { status: 'REVOKED' } });
    });

    it('lets a customer onboard a revoked account again through a new setup', async () => {
      const connection = await registered();
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      const newSetup = await store.putSetup(
        buildSetup({
          customerId: connection.customerId,
          setupId: 'setup-2',
          externalId: 'keyless-acme-corp-new',
        }),
      );
      const again = await store.registerConnection({
        connection: buildRoleConnection({
          customerId: connection.customerId,
          accountId: connection.accountId,
          externalId: 'keyless-acme-corp-new',
          setupId: 'setup-2',
        }),
        setup: newSetup,
        audit,
      });
      expect(again).toMatchObject({ status: 'REGISTERED', version: 1, externalId: 'keyless-acme-corp-new' });
    });
  });

  describe('updateConnection', () => {
    it('increments the version and appends exactly one audit entry per transition', async () => {
      const connection = await registered();
      const active = await store.updateConnection({
        connection,
        to: 'ACTIVE',
        set: { validatedAt: '2026-11-24T00:00:00.000Z' },
        audit,
      });
      const broken = await store.updateConnection({
        connection: active,
        to: 'BROKEN',
        set: { lastError: 'gone' },
        audit,
      });
      expect(broken).toMatchObject({ status: 'BROKEN', version: 3, lastError: 'gone' });
      expect(await store.getConnection(connection.customerId, connection.accountId)).toMatchObject({
        status: 'BROKEN',
        version: 3,
        validatedAt: '2026-11-24T00:00:00.000Z',
        lastError: 'gone',
      });
      const trail = await store.listAllAudit(connection.customerId);
      expect(trail.map((e) => `${e.from}>${e.to}@${e.version}`)).toEqual([
        'NONE>REGISTERED@1',
        'REGISTERED>ACTIVE@2',
        'ACTIVE>BROKEN@3',
      ]);
    });

    it('removes fields and keeps the status for a plain update', async () => {
      const connection = await registered();
      const withError = await store.updateConnection({ connection, set: { lastError: 'x' } });
      const cleared = await store.updateConnection({ connection: withError, remove: ['lastError'] });
      expect(cleared.status).toBe('REGISTERED');
      const stored = await store.getConnection(connection.customerId, connection.accountId);
      expect(stored?.version).toBe(3);
      expect(stored).not.toHaveProperty('lastError');
      expect(await store.listAllAudit(connection.customerId)).toHaveLength(1);
    });

    it('refuses a forbidden transition before writing', async () => {
      const connection = await registered();
      const failed = await store.updateConnection({ connection, to: 'FAILED', audit });
      await expect(
        store.updateConnection({ connection: failed, to: 'ACTIVE', audit }),
      ).rejects.toBeInstanceOf(ForbiddenTransitionError);
      expect((await store.getConnection(connection.customerId, connection.accountId))?.version).toBe(2);
    });

    it('keeps REVOKED terminal: no transition and no update', async () => {
      const connection = await registered();
      const revoked = await store.updateConnection({ connection, to: 'REVOKED', audit });
      await expect(store.updateConnection({ connection: revoked, to: 'ACTIVE', audit })).rejects.toThrow(
        /REVOKED is terminal/,
      );
      await expect(
        store.updateConnection({ connection: revoked, set: { lastError: 'x' } }),
      ).rejects.toBeInstanceOf(ForbiddenTransitionError);
    });

    it('fails a stale write with a ConflictError carrying the current status and version', async () => {
      const connection = await registered();
      await store.updateConnection({ connection, to: 'ACTIVE', audit });
      const stale = store.updateConnection({ connection, to: 'FAILED', audit });
      await expect(stale).rejects.toBeInstanceOf(ConflictError);
      await expect(stale).rejects.toMatchObject({ current: { status: 'ACTIVE', version: 2 } });
      expect(await store.listAllAudit(connection.customerId)).toHaveLength(2);
    });

    it('marks the setup it switches in USED in the same transaction', async () => {
      // Prepare: a live connection and a rotation setup for its account
      const connection = await registered();
      const rotation = await store.putSetup(
        buildSetup({
          customerId: connection.customerId,
          setupId: 'rotation-1',
          externalId: 'keyless-acme-corp-00000000000000000000000000000001',
          rotatesAccountId: connection.accountId,
        }),
      );
      // Act
      await store.updateConnection({
        connection,
        to: 'ACTIVE',
        set: { externalId: rotation.externalId, setupId: rotation.setupId },
        useSetup: rotation,
        audit,
      });
      // Assess
      expect(await store.getSetup(connection.customerId, rotation.setupId)).toMatchObject({
        status: 'USED',
        usedAt: expect.any(String),
      });
      expect(await store.getConnection(connection.customerId, connection.accountId)).toMatchObject({
        externalId: rotation.externalId,
        setupId: rotation.setupId,
      });
    });

    it('leaves the setup OPEN when the connection write loses its race, and the connection when the setup does not match', async () => {
      // Prepare
      const connection = await registered();
      const rotation = await store.putSetup(
        buildSetup({
          customerId: connection.customerId,
          setupId: 'rotation-2',
          externalId: 'keyless-acme-corp-00000000000000000000000000000002',
          rotatesAccountId: connection.accountId,
        }),
      );
      await store.updateConnection({ connection, set: { lastError: 'someone else wrote first' } });
      const current = (await store.getConnection(connection.customerId, connection.accountId))!;
      // Act + Assess: a stale connection, then a setup that holds another External ID
      await expect(
        store.updateConnection({ connection, to: 'ACTIVE', useSetup: rotation, audit }),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(
        store.updateConnection({
          connection: current,
          to: 'ACTIVE',
          useSetup: { ...rotation, externalId: 'keyless-acme-corp-ffffffffffffffffffffffffffffffff' },
          audit,
        }),
      ).rejects.toThrow(/Setup rotation-2 .* does not exist with this External ID/);
      expect((await store.getSetup(connection.customerId, rotation.setupId))?.status).toBe('OPEN');
      expect(await store.getConnection(connection.customerId, connection.accountId)).toMatchObject({
        status: 'REGISTERED',
        version: 2,
      });
      expect(await store.listAllAudit(connection.customerId)).toHaveLength(1);
    });

    it('leaves one winner among 20 concurrent transitions and typed errors for the rest', async () => {
      // Prepare
      const connection = await registered();
      const targets = ['ACTIVE', 'FAILED', 'REVOKED'] as const;
      // Act
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          store.updateConnection({
            connection,
            to: targets[i % 3]!,
            audit: { ...audit, sourceEventId: `e${i}` },
          }),
        ),
      );
      // Assess
      const winners = results.filter((r) => r.status === 'fulfilled');
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(19);
      for (const loser of losers) expect(loser.reason).toBeInstanceOf(ConflictError);
      const stored = await store.getConnection(connection.customerId, connection.accountId);
      expect(stored?.version).toBe(2);
      expect(await store.listAllAudit(connection.customerId)).toHaveLength(2);
    });
  });

  describe('getConnectionAccess', () => {
    it('returns only what a vend needs', async () => {
      const connection = await registered();
      const access = await store.getConnectionAccess(connection.customerId, connection.accountId);
      expect(Object.keys(access ?? {}).sort()).toEqual(
        [
          'accountId',
          'authMethod',
          'createdAt',
          'customerId',
          'externalId',
          'roleArn',
          'status',
          'version',
        ].sort(),
      );
      expect(await store.getConnectionAccess(connection.customerId, '000000000000')).toBeUndefined();
    });
  });

  describe('connectionsByStatus', () => {
    it('finds connections of the given statuses across customers through the status index', async () => {
      const active = await registered();
      await store.updateConnection({ connection: active, to: 'ACTIVE', audit });
      const stillRegistered = await registered();
      const found = [];
      for await (const c of store.connectionsByStatus(['ACTIVE', 'BROKEN']))
        found.push(`${c.customerId}/${c.accountId}`);
      expect(found).toContain(`${active.customerId}/${active.accountId}`);
      expect(found).not.toContain(`${stillRegistered.customerId}/${stillRegistered.accountId}`);
    });
  });
});
