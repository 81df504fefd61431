/**
 * The caps of organization setups, without DynamoDB (docs/architecture.md §9.7, invariant 10):
 * sized to the validator's reserved concurrency; a registration beyond them takes a place in the
 * setup's queue instead of being refused, until the queue itself is full; the head of the queue
 * (earliest deadline) gets the next free slot; an account setup keeps its own caps.
 */
import { describe, expect, it } from 'vitest';
import type { Setup } from '#shared/domain/setup.ts';
import {
  DEFAULT_PENDING_CAPS,
  MIN_VALIDATOR_RESERVED_CONCURRENCY,
  organizationPendingCap,
  pendingCapsFor,
  validatorConcurrencyProblem,
} from '#shared/onboarding/pending-caps.ts';
import {
  decideRegistration,
  nextInQueue,
  type RegistrationFacts,
} from '#shared/onboarding/registration-decision.ts';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const ACCOUNT = '111122223333';
const caps = { perSetup: 5, perCustomer: 8, perOrganization: 3, organizationQueue: 2 };
const later = (ms: number) => NOW.getTime() + ms;
const accounts = (count: number, from = 0) =>
  Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`5${String(from + i).padStart(11, '0')}`, later(60_000 + i)]),
  );

const organization = (overrides: Partial<Setup> = {}): Setup => ({
  customerId: 'acme',
  setupId: 'org-1',
  externalId: 'keyless-acme-11111111111111111111111111111111',
  status: 'OPEN',
  createdAt: '2026-11-30T10:00:00.000Z',
  expiresAt: '2026-12-07T10:00:00.000Z',
  scope: 'organization',
  organizationId: 'o-acme000001',
  ...overrides,
});

function facts(setups: Setup[], setup = setups[0] as Setup): RegistrationFacts {
  return {
    request: {
      type: 'Create',
      requestId: 'r-new',
      stackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/StackSet-x/3b0d6a20-0f4e-11ef-9c5e-0a1b2c3d4e5f`,
      customerId: 'acme',
      accountId: ACCOUNT,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/KeylessAccess`,
      externalId: setup.externalId,
    },
    existing: undefined,
    setups,
    roleLink: undefined,
    stackLink: undefined,
    caps,
    deadline: later(840_000),
    now: NOW,
  };
}

describe('the organization share of the validator', () => {
  it('leaves two customers’ launch-link caps free of the reserved concurrency', () => {
    expect(organizationPendingCap(50)).toBe(34);
    expect(pendingCapsFor(50)).toEqual({
      perSetup: 5,
      perCustomer: 8,
      perOrganization: 34,
      organizationQueue: 2000,
    });
    expect(DEFAULT_PENDING_CAPS.perOrganization).toBe(34);
  });

  it('names a reserved concurrency too small for an organization rollout, and accepts one large enough', () => {
    expect(MIN_VALIDATOR_RESERVED_CONCURRENCY).toBe(32);
    expect(validatorConcurrencyProblem(10)).toMatch(/must be at least 32/);
    expect(validatorConcurrencyProblem(32)).toBeUndefined();
  });
});

describe('a registration through an organization setup', () => {
  it('takes a slot while the organization cap has room', () => {
    const plan = decideRegistration(
      facts([organization({ pendingValidations: accounts(2), slotVersion: 2 })]),
    );
    expect(plan).toMatchObject({ kind: 'create', slot: { setupId: 'org-1', until: later(840_000) } });
    expect(plan).not.toHaveProperty('slot.queued');
  });

  it('waits in the queue once every slot is taken, instead of being refused', () => {
    const full = organization({ pendingValidations: accounts(3), slotVersion: 3 });
    expect(decideRegistration(facts([full]))).toMatchObject({
      kind: 'create',
      slot: { setupId: 'org-1', queued: true, seen: { slotVersion: 3 } },
    });
  });

  it('counts every organization setup of the customer against one share, and no account setup', () => {
    const other = organization({
      setupId: 'org-2',
      externalId: 'keyless-acme-2222',
      pendingValidations: accounts(2),
    });
    const launchLink = organization({
      setupId: 'account-1',
      externalId: 'keyless-acme-3333',
      scope: undefined,
      pendingValidations: accounts(5, 10),
    });
    const setup = organization({ pendingValidations: accounts(1, 20) });
    expect(decideRegistration(facts([setup, other, launchLink], setup))).toMatchObject({
      slot: { queued: true },
    });
    expect(decideRegistration(facts([setup, launchLink], setup))).not.toHaveProperty('slot.queued');
  });

  it('queues after lost races for a slot, though a slot may be free (a place in the queue needs no race)', () => {
    const contended = { ...facts([organization({ pendingValidations: accounts(1) })]), contended: true };
    expect(decideRegistration(contended)).toMatchObject({ kind: 'create', slot: { queued: true } });
  });

  it('is refused, saying why, only once the queue is full too', () => {
    const full = organization({
      pendingValidations: accounts(3),
      queuedValidations: accounts(2, 10),
      slotVersion: 5,
    });
    expect(decideRegistration(facts([full]))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(
        /already has 2 registrations waiting for validation, the most it holds: retry/,
      ),
    });
  });

  it('does not count queue entries whose deadline has passed, and clears them with its claim', () => {
    const stale = { '500000000010': NOW.getTime() - 1, '500000000011': NOW.getTime() - 2 };
    const full = organization({ pendingValidations: accounts(3), queuedValidations: stale, slotVersion: 5 });
    expect(decideRegistration(facts([full]))).toMatchObject({
      kind: 'create',
      slot: { queued: true, expiredQueue: ['500000000010', '500000000011'] },
    });
  });

  it('leaves an account setup refused at its own cap, as before', () => {
    const launchLink = organization({ scope: undefined, pendingValidations: accounts(5), slotVersion: 5 });
    expect(decideRegistration(facts([launchLink]))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(/This launch link already has 5 registrations awaiting validation/),
    });
  });
});

describe('the head of an organization setup’s queue', () => {
  it('gets the next free slot: the earliest deadline first', () => {
    const setup = organization({
      pendingValidations: accounts(2),
      queuedValidations: { '700000000002': later(900_000), '700000000001': later(800_000) },
      slotVersion: 7,
    });
    expect(nextInQueue([setup], setup, caps, NOW)).toMatchObject({
      accountId: '700000000001',
      until: later(800_000),
      seen: { slotVersion: 7 },
    });
    expect(nextInQueue([setup], setup, caps, NOW)).not.toHaveProperty('queued');
  });

  it('waits while every slot of the share is taken, and when the queue is empty', () => {
    const full = organization({ pendingValidations: accounts(3), queuedValidations: accounts(1, 10) });
    expect(nextInQueue([full], full, caps, NOW)).toBeUndefined();
    const empty = organization({ queuedValidations: {} });
    expect(nextInQueue([empty], empty, caps, NOW)).toBeUndefined();
  });

  it('skips entries whose deadline has passed', () => {
    const setup = organization({
      queuedValidations: { '700000000001': NOW.getTime() - 1, '700000000002': later(1_000) },
    });
    expect(nextInQueue([setup], setup, caps, NOW)).toMatchObject({
      accountId: '700000000002',
      expiredQueue: ['700000000001'],
    });
  });
});
