/**
 * Hostile invocations of terraform-registration (docs/architecture.md §6, invariant 8; §9.6): anyone
 * the function's resource policy admits can send any payload, `tf` included. A forged delete, a role
 * of another customer's account, another customer's setup, an expired setup, a wrong External ID and
 * malformed payloads change nothing: no write, no outbound request.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../support/lambda-context.ts';
import { activeConnection, openSetup, uniqueCustomer } from '../support/onboarding.ts';
import { createFigures } from './support/figures.ts';
import { nastyString, wrongType } from './support/hostile.ts';
import { FUZZ_RUNS, FUZZ_SEED } from './support/settings.ts';
import { createWorld, type World } from './support/world.ts';

const eventBridge = mockClient(EventBridgeClient);
const figures = createFigures(import.meta.filename);
const RUNS = Math.max(100, Math.ceil(FUZZ_RUNS * 0.05));

let world: World;
let victim: Awaited<ReturnType<typeof activeConnection>>;
let mine: { customerId: string; setupId: string; externalId: string };
let expired: { customerId: string; setupId: string; externalId: string };

beforeAll(async () => {
  world = await createWorld('keyless-hostile-terraform');
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  victim = await activeConnection(world.store);
  mine = await openSetup(world.store, uniqueCustomer());
  expired = await openSetup(world.store, uniqueCustomer(), {
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-08T00:00:00.000Z',
  });
});
afterAll(async () => {
  figures.add('forbiddenOutbound', world.outbound.forbidden().length);
  figures.write();
  await world.close();
});

const role = (accountId: string) => `arn:aws:iam::${accountId}:role/KeylessAccess`;

/** A payload that must change nothing, and what it is. */
const hostilePayload = fc.oneof(
  fc.constant(null).map(() => ({
    what: "a forged delete of another customer's connection",
    payload: {
      customerId: victim.customerId,
      setupId: mine.setupId,
      externalId: mine.externalId,
      roleArn: victim.roleArn,
      tf: { action: 'delete', prev_input: null },
    },
  })),
  fc.constant(null).map(() => ({
    what: "a delete with the victim's role but a guessed External ID",
    payload: {
      customerId: victim.customerId,
      setupId: mine.setupId,
      externalId: `${victim.externalId.slice(0, -4)}0000`,
      roleArn: victim.roleArn,
      tf: { action: 'delete' },
    },
  })),
  fc.constant(null).map(() => ({
    what: "a role of an account another customer holds, through this customer's setup",
    payload: {
      customerId: mine.customerId,
      setupId: mine.setupId,
      externalId: mine.externalId,
      roleArn: victim.roleArn,
    },
  })),
  fc.constant(null).map(() => ({
    what: "another customer's setup",
    payload: {
      customerId: mine.customerId,
      setupId: expired.setupId,
      externalId: mine.externalId,
      roleArn: role('191919191919'),
    },
  })),
  fc.constant(null).map(() => ({
    what: 'an expired setup',
    payload: {
      customerId: expired.customerId,
      setupId: expired.setupId,
      externalId: expired.externalId,
      roleArn: role('202020202020'),
      tf: { action: 'create', prev_input: null },
    },
  })),
  fc.constant(null).map(() => ({
    what: 'a wrong External ID for the setup',
    payload: {
      customerId: mine.customerId,
      setupId: mine.setupId,
      externalId: 'keyless-guess-0000',
      roleArn: role('212121212121'),
    },
  })),
  fc
    .record({
      field: fc.constantFrom('customerId', 'setupId', 'externalId', 'roleArn', 'tf', 'extra'),
      value: fc.oneof(wrongType, nastyString),
    })
    .map(({ field, value }) => ({
      what: `a malformed ${field}`,
      payload: {
        customerId: mine.customerId,
        setupId: mine.setupId,
        externalId: mine.externalId,
        roleArn: role('222222222222'),
        ...(field === 'extra' ? { stackId: value } : {}),
        ...(field === 'tf' ? { tf: { action: typeof value === 'string' ? `${value}x` : value } } : {}),
        ...(field !== 'extra' && field !== 'tf'
          ? {
              [field]:
                typeof value === 'string' && field === 'roleArn'
                  ? `x${value}`
                  : field === 'setupId' && typeof value === 'string'
                    ? `${value}!`
                    : value,
            }
          : {}),
      },
    })),
);

describe('terraform-registration under hostile input', () => {
  it(`changes nothing for ${RUNS} generated hostile invocations: no write, no outbound request`, async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(hostilePayload, async ({ what, payload }) => {
        world.writes.length = 0;
        seen.add(what.replace(/ (customerId|setupId|externalId|roleArn|tf|extra)$/, ''));
        figures.add('hostileCases');
        let answer: unknown;
        try {
          answer = await world.handlers.terraform(payload, createContext());
        } catch (error) {
          // A refusal fails the apply with a message the customer reads; it is never a crash.
          expect((error as Error).message, what).toMatch(/\S/);
          expect((error as Error).name, what).not.toMatch(/TypeError|ReferenceError/);
        }
        if (answer !== undefined) expect(answer, what).toMatchObject({ status: 'UNCHANGED' });
        expect(world.writes, what).toEqual([]);
      }),
      { numRuns: RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
    );
    expect(seen.size).toBeGreaterThanOrEqual(6);
    expect(world.outbound.forbidden()).toEqual([]);
    expect(await world.store.getConnection(victim.customerId, victim.accountId)).toMatchObject({
      status: 'ACTIVE',
      roleArn: victim.roleArn,
    });
    for (const accountId of ['191919191919', '202020202020', '212121212121', '222222222222'])
      expect(await world.store.getConnection(mine.customerId, accountId)).toBeUndefined();
  });
});
