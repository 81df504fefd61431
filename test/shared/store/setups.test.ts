import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '#shared/errors.ts';
import type { ValidationSlotClaim } from '#shared/store/connection-store.ts';
import { buildRoleConnection, buildSetup } from '../../support/builders.ts';
import { audit, storeFixture, uniqueCustomer } from './support.ts';

let fixture: Awaited<ReturnType<typeof storeFixture>>;
let store: typeof fixture.store;

beforeAll(async () => {
  fixture = await storeFixture();
  ({ store } = fixture);
});
afterAll(() => fixture.table.drop());

const hourFromNow = () => Date.now() + 3_600_000;

/** Registers a new account of `customerId` through `setup`, claiming a slot on it as `seen`. */
function registerWithSlot(
  customerId: string,
  setup: Awaited<ReturnType<typeof store.putSetup>>,
  seen: ValidationSlotClaim['seen'],
  until = hourFromNow(),
) {
  const connection = buildRoleConnection({ customerId, setupId: setup.setupId });
  const slot = { setupId: setup.setupId, accountId: connection.accountId, until, seen, expired: [] };
  return store.registerConnection({ connection, setup, slot, audit });
}

describe('setups', () => {
  it('stores a setup and reads it back as it was given', async () => {
    // Prepare
    const setup = buildSetup({ customerId: uniqueCustomer(), region: 'eu-west-1' });
    // Act
    await store.putSetup(setup);
    // Assess
    expect(await store.getSetup(setup.customerId, setup.setupId)).toEqual(setup);
    expect(await store.getSetup(setup.customerId, 'no-such-setup')).toBeUndefined();
  });

  it('refuses a second setup under the same id', async () => {
    // Prepare
    const setup = await store.putSetup(buildSetup({ customerId: uniqueCustomer() }));
    // Act + Assess
    await expect(store.putSetup({ ...setup, externalId: 'keyless-other' })).rejects.toMatchObject({
      name: 'ConflictError',
    });
    expect((await store.getSetup(setup.customerId, setup.setupId))?.externalId).toBe(setup.externalId);
  });

  it('finds a setup by its id alone, and nothing for an unknown id', async () => {
    const setup = await store.putSetup(buildSetup({ customerId: uniqueCustomer(), setupId: randomUUID() }));
    expect(await store.findSetup(setup.setupId)).toEqual(setup);
    expect(await store.findSetup(randomUUID())).toBeUndefined();
  });

  it('lists only the setups that still accept callbacks', async () => {
    // Prepare: one open, one past its expiry, one marked EXPIRED
    const customerId = uniqueCustomer();
    await store.putSetup(buildSetup({ customerId, setupId: 'open' }));
    await store.putSetup(
      buildSetup({ customerId, setupId: 'past', expiresAt: new Date(Date.now() - 1000).toISOString() }),
    );
    await store.putSetup(buildSetup({ customerId, setupId: 'superseded' }));
    await store.expireSetup(customerId, 'superseded');
    // Act
    const open = await store.listOpenSetups(customerId);
    // Assess
    expect(open.map((s) => s.setupId)).toEqual(['open']);
    expect((await store.getSetup(customerId, 'superseded'))?.status).toBe('EXPIRED');
  });

  it('refuses to expire a setup that does not exist', async () => {
    await expect(store.expireSetup(uniqueCustomer(), 'missing')).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
  });

  describe('validation slots', () => {
    it('records a claimed slot and moves the slot version on', async () => {
      // Prepare
      const customerId = uniqueCustomer();
      const setup = await store.putSetup(buildSetup({ customerId }));
      const until = hourFromNow();
      // Act
      const connection = await registerWithSlot(customerId, setup, {}, until);
      // Assess
      expect(await store.getSetup(customerId, setup.setupId)).toMatchObject({
        status: 'USED',
        slotVersion: 1,
        pendingValidations: { [connection.accountId]: until },
      });
    });

    it('refuses a claim made on a slot version another claim has moved on, and writes nothing', async () => {
      // Prepare: two registrations read the setup before either claimed its slot
      const customerId = uniqueCustomer();
      const setup = await store.putSetup(buildSetup({ customerId }));
      const first = await registerWithSlot(customerId, setup, {});
      // Act
      const late = registerWithSlot(customerId, setup, {});
      // Assess
      await expect(late).rejects.toBeInstanceOf(ConflictError);
      await expect(late).rejects.toThrow(/validation slots changed since they were read/);
      const stored = await store.getSetup(customerId, setup.setupId);
      expect(stored?.slotVersion).toBe(1);
      expect(Object.keys(stored?.pendingValidations ?? {})).toEqual([first.accountId]);
      expect(await store.listAllConnections(customerId)).toHaveLength(1);
    });

    it('takes a slot again on the slot version it read, removing the expired ones', async () => {
      // Prepare: a first claim whose slot has run out
      const customerId = uniqueCustomer();
      const setup = await store.putSetup(buildSetup({ customerId }));
      const first = await registerWithSlot(customerId, setup, {}, Date.now() - 1000);
      const seen = (await store.getSetup(customerId, setup.setupId))!;
      const connection = buildRoleConnection({ customerId, setupId: setup.setupId });
      const until = hourFromNow();
      // Act
      await store.registerConnection({
        connection,
        setup,
        slot: {
          setupId: setup.setupId,
          accountId: connection.accountId,
          until,
          seen,
          expired: [first.accountId],
        },
        audit,
      });
      // Assess
      const stored = await store.getSetup(customerId, setup.setupId);
      expect(stored?.slotVersion).toBe(2);
      expect(stored?.pendingValidations).toEqual({ [connection.accountId]: until });
    });

    it('frees a slot only for the deadline that holds it', async () => {
      // Prepare
      const customerId = uniqueCustomer();
      const setup = await store.putSetup(buildSetup({ customerId }));
      const until = hourFromNow();
      const connection = await registerWithSlot(customerId, setup, {}, until);
      const slot = { customerId, setupId: setup.setupId, accountId: connection.accountId };
      // Act
      const stale = await store.releaseValidationSlot({ ...slot, until: until - 1 });
      const own = await store.releaseValidationSlot({ ...slot, until });
      // Assess
      expect(stale).toBe(false);
      expect(own).toBe(true);
      expect((await store.getSetup(customerId, setup.setupId))?.pendingValidations).toEqual({});
      expect(await store.releaseValidationSlot({ ...slot, until })).toBe(false);
    });
  });
});
