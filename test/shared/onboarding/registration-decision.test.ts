/**
 * The registration decision, case by case and without DynamoDB: from the stored connection, the
 * customer's setups, the links and the request to a plan (docs/architecture.md §6, invariants 2, 4,
 * 9 and 10).
 */
import { describe, expect, it } from 'vitest';
import type { Connection } from '#shared/domain/connection.ts';
import type { Setup } from '#shared/domain/setup.ts';
import {
  DEFAULT_PENDING_CAPS,
  decideRegistration,
  matchSetup,
  type RegistrationFacts,
} from '#shared/onboarding/registration-decision.ts';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const ACCOUNT = '111122223333';
const STACK = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/keyless-acme/3b0d6a20-0f4e-11ef-9c5e-0a1b2c3d4e5f`;
const OTHER_STACK = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/other/4c1e7b31-0f4e-11ef-9c5e-0a1b2c3d4e5f`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/KeylessAccess`;
const LIVE_EXTERNAL_ID = 'keyless-acme-00000000000000000000000000000000';

const setup = (overrides: Partial<Setup> = {}): Setup => ({
  customerId: 'acme',
  setupId: 'setup-1',
  externalId: 'keyless-acme-11111111111111111111111111111111',
  status: 'OPEN',
  createdAt: '2026-11-30T10:00:00.000Z',
  expiresAt: '2026-12-07T10:00:00.000Z',
  ...overrides,
});

const live = (overrides: Partial<Connection> = {}): Connection =>
  ({
    customerId: 'acme',
    accountId: ACCOUNT,
    authMethod: 'ROLE',
    status: 'ACTIVE',
    version: 2,
    roleArn: ROLE,
    externalId: LIVE_EXTERNAL_ID,
    stackId: STACK,
    createdAt: '2026-11-01T10:00:00.000Z',
    updatedAt: '2026-11-01T10:00:00.000Z',
    ...overrides,
  }) as Connection;

function facts(
  overrides: Omit<Partial<RegistrationFacts>, 'request'> & {
    request?: Partial<RegistrationFacts['request']>;
  } = {},
) {
  const { request, ...rest } = overrides;
  return {
    request: {
      type: 'Create' as const,
      requestId: 'r-new',
      stackId: STACK,
      customerId: 'acme',
      accountId: ACCOUNT,
      roleArn: ROLE,
      externalId: setup().externalId,
      ...request,
    },
    existing: undefined,
    setups: [setup()],
    roleLink: undefined,
    stackLink: undefined,
    caps: DEFAULT_PENDING_CAPS,
    deadline: NOW.getTime() + 840_000,
    now: NOW,
    ...rest,
  } satisfies RegistrationFacts;
}

describe('decideRegistration', () => {
  describe('a new connection', () => {
    it('is created through an open setup, with a validation slot on it', () => {
      expect(decideRegistration(facts())).toMatchObject({
        kind: 'create',
        setup: { setupId: 'setup-1' },
        slot: { setupId: 'setup-1', accountId: ACCOUNT, until: NOW.getTime() + 840_000 },
      });
    });

    it('is refused with an External ID no setup of the customer holds', () => {
      expect(decideRegistration(facts({ request: { externalId: 'keyless-acme-forged' } }))).toMatchObject({
        kind: 'refuse',
        reason: expect.stringMatching(/does not match an open setup of customer acme/),
      });
    });

    it('is refused through an expired setup, saying so', () => {
      const expired = setup({ expiresAt: '2026-11-30T11:00:00.000Z' });
      expect(decideRegistration(facts({ setups: [expired] }))).toMatchObject({
        kind: 'refuse',
        reason: expect.stringMatching(/expired at 2026-11-30T11:00:00.000Z/),
      });
    });

    it('is refused for a rotation setup of another account', () => {
      const rotation = setup({ rotatesAccountId: '444455556666' });
      expect(decideRegistration(facts({ setups: [rotation] })).kind).toBe('refuse');
    });

    it('is refused when the stack or the role is linked to another connection', () => {
      const other = { customerId: 'globex', accountId: ACCOUNT };
      expect(decideRegistration(facts({ stackLink: { stackId: STACK, ...other } }))).toMatchObject({
        kind: 'refuse',
        reason: expect.stringMatching(/already registered another connection/),
      });
      expect(decideRegistration(facts({ roleLink: { roleArn: ROLE, ...other } }))).toMatchObject({
        kind: 'refuse',
        reason: expect.stringMatching(/already connected for another customer/),
      });
    });
  });

  describe('the pending-validation caps', () => {
    const slots = (count: number, from = 0) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, i) => [
          `5${String(from + i).padStart(11, '0')}`,
          NOW.getTime() + 60_000,
        ]),
      );

    it('refuses a registration once the setup has its cap awaiting validation', () => {
      const full = setup({ pendingValidations: slots(DEFAULT_PENDING_CAPS.perSetup), slotVersion: 5 });
      expect(decideRegistration(facts({ setups: [full] }))).toMatchObject({
        kind: 'refuse',
        reason: expect.stringMatching(
          /already has 5 registrations awaiting validation, the most it allows at once/,
        ),
      });
    });

    it("does not count the account's own slot, nor slots whose deadline has passed, and prunes those", () => {
      const own = { [ACCOUNT]: NOW.getTime() + 60_000 };
      const stale = { '599999999999': NOW.getTime() - 1 };
      const almost = setup({ pendingValidations: { ...slots(4), ...own, ...stale }, slotVersion: 9 });
      expect(decideRegistration(facts({ setups: [almost] }))).toMatchObject({
        kind: 'create',
        slot: { seen: { slotVersion: 9 }, expired: ['599999999999'] },
      });
    });

    it('refuses a registration once the customer has its cap awaiting validation across setups', () => {
      const a = setup({ setupId: 'a', externalId: 'keyless-acme-a', pendingValidations: slots(4) });
      const b = setup({ setupId: 'b', pendingValidations: slots(4, 10) });
      expect(decideRegistration(facts({ setups: [a, b] }))).toMatchObject({
        kind: 'refuse',
        reason: expect.stringMatching(/Customer acme already has 8 registrations awaiting validation/),
      });
    });
  });

  describe('a proven connection', () => {
    it('answers an unchanged request, or a second stack bringing nothing new, SUCCESS without work', () => {
      const existing = live();
      const request = { externalId: LIVE_EXTERNAL_ID };
      expect(decideRegistration(facts({ existing, request }))).toEqual({ kind: 'unchanged', roleArn: ROLE });
      expect(decideRegistration(facts({ existing, request: { ...request, stackId: OTHER_STACK } }))).toEqual({
        kind: 'unchanged',
        roleArn: ROLE,
      });
    });

    it('takes a change only from the stack it was proven with', () => {
      const existing = live({ status: 'BROKEN' });
      const request = {
        externalId: LIVE_EXTERNAL_ID,
        stackId: OTHER_STACK,
        type: 'Update' as const,
      };
      expect(decideRegistration(facts({ existing, request }))).toMatchObject({
        kind: 'refuse',
        reason: expect.stringMatching(/is connected through stack .*update that stack/),
      });
      expect(decideRegistration(facts({ existing, request: { ...request, stackId: STACK } }))).toMatchObject({
        kind: 'change-live',
        reason: 'revalidation',
      });
    });

    it('proves an Update of its own stack that brings a new template version, and only that stack', () => {
      const existing = live({ templateVersion: '1' } as Partial<Connection>);
      const request = { externalId: LIVE_EXTERNAL_ID, type: 'Update' as const, templateVersion: '2' };
      expect(decideRegistration(facts({ existing, request }))).toMatchObject({
        kind: 'change-live',
        sameRole: true,
        sameId: true,
        newTemplateVersion: '2',
        reason: 'upgrade',
      });
      // The same version, or another stack's: nothing to prove.
      expect(decideRegistration(facts({ existing, request: { ...request, templateVersion: '1' } }))).toEqual({
        kind: 'unchanged',
        roleArn: ROLE,
      });
      expect(decideRegistration(facts({ existing, request: { ...request, stackId: OTHER_STACK } }))).toEqual({
        kind: 'unchanged',
        roleArn: ROLE,
      });
    });

    it('proves a rotation through a setup of this account, keeping the proven values meanwhile', () => {
      const rotation = setup({ rotatesAccountId: ACCOUNT });
      expect(
        decideRegistration(facts({ existing: live(), setups: [rotation], request: { type: 'Update' } })),
      ).toMatchObject({
        kind: 'change-live',
        sameRole: true,
        sameId: false,
        reason: 'rotation',
        slot: { setupId: 'setup-1' },
      });
    });
  });

  describe('a connection never proven', () => {
    it('needs an open setup even with its own External ID (REGISTERED or FAILED)', () => {
      const failed = live({ status: 'FAILED', externalId: setup().externalId });
      expect(decideRegistration(facts({ existing: failed, setups: [] })).kind).toBe('refuse');
      expect(decideRegistration(facts({ existing: failed }))).toMatchObject({ kind: 'replace-candidate' });
    });
  });

  describe('a revoked connection', () => {
    const revoked = live({ status: 'REVOKED', revokedAt: '2026-11-30T12:00:00.000Z' });

    it('refuses every offer issued before the revocation', () => {
      expect(decideRegistration(facts({ existing: revoked }))).toMatchObject({
        kind: 'refuse',
        reason: expect.stringMatching(
          /was revoked at 2026-11-30T12:00:00.000Z: only a launch link issued after/,
        ),
      });
    });

    it('is connected again through an offer issued after it, which keeps the revocation time', () => {
      const newer = setup({ createdAt: '2026-11-30T13:00:00.000Z' });
      expect(decideRegistration(facts({ existing: revoked, setups: [newer] }))).toMatchObject({
        kind: 'create',
        offersValidAfter: '2026-11-30T12:00:00.000Z',
      });
    });

    it('keeps refusing older offers once connected again', () => {
      const recreated = live({
        status: 'REGISTERED',
        offersValidAfter: '2026-11-30T12:00:00.000Z',
        externalId: 'x',
      });
      expect(decideRegistration(facts({ existing: recreated })).kind).toBe('refuse');
    });
  });

  describe('redeliveries', () => {
    it('recognises the pending request and an answered one', () => {
      const pending = live({
        status: 'REGISTERED',
        pendingAnswer: {
          responseUrl: 'https://x',
          requestId: 'r-new',
          requestType: 'Create',
          logicalResourceId: 'KeylessRegistration',
          stackId: STACK,
          physicalResourceId: 'p',
          deadline: NOW.getTime() + 1,
        },
      } as Partial<Connection>);
      expect(decideRegistration(facts({ existing: pending }))).toMatchObject({
        kind: 'duplicate',
        reason: 'create',
      });
      expect(decideRegistration(facts({ existing: live({ answeredRequestIds: ['r-new'] }) }))).toEqual({
        kind: 'already-answered',
      });
    });
  });
});

describe('decideRegistration through an organization setup (docs/architecture.md §9.7)', () => {
  const PAST_TTL = new Date('2026-12-31T10:00:00.000Z');
  const organization = (overrides: Partial<Setup> = {}) =>
    setup({ scope: 'organization', organizationId: 'o-acme000001', ...overrides });

  it('accepts an account after the setup expired, once the setup is bound to its organization', () => {
    expect(decideRegistration(facts({ setups: [organization()], now: PAST_TTL }))).toMatchObject({
      kind: 'create',
      setup: { setupId: 'setup-1', organizationId: 'o-acme000001' },
    });
  });

  it('refuses after the expiry while no account has bound the setup to an organization', () => {
    const unbound = organization({ organizationId: undefined });
    expect(decideRegistration(facts({ setups: [unbound], now: PAST_TTL }))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(
        /organization setup .* expired at .* before any account of the organization/,
      ),
    });
    expect(decideRegistration(facts({ setups: [unbound] })).kind).toBe('create');
  });

  it('refuses once the setup is marked EXPIRED, bound or not', () => {
    const ended = organization({ status: 'EXPIRED' });
    expect(decideRegistration(facts({ setups: [ended], now: PAST_TTL }))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(/ask your provider for a new launch link/),
    });
  });

  it('keeps the organization cap on registrations awaiting validation after the expiry: the excess waits', () => {
    const slots = Object.fromEntries(
      Array.from({ length: DEFAULT_PENDING_CAPS.perOrganization }, (_, i) => [
        `5${String(i).padStart(11, '0')}`,
        PAST_TTL.getTime() + 60_000,
      ]),
    );
    const full = organization({ pendingValidations: slots, slotVersion: 5 });
    expect(decideRegistration(facts({ setups: [full], now: PAST_TTL }))).toMatchObject({
      kind: 'create',
      slot: { setupId: 'setup-1', queued: true },
    });
  });

  it('keeps revocation final: an organization setup issued before the revocation cannot reconnect', () => {
    const revoked = live({ status: 'REVOKED', revokedAt: '2026-12-10T00:00:00.000Z' });
    expect(
      decideRegistration(facts({ existing: revoked, setups: [organization()], now: PAST_TTL })),
    ).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/was revoked at 2026-12-10/) });
  });

  it('leaves a normal setup to its expiry', () => {
    expect(decideRegistration(facts({ setups: [setup()], now: PAST_TTL }))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(/^The setup for this External ID expired at 2026-12-07/),
    });
  });
});

describe('matchSetup', () => {
  it('prefers the match that expires last, and reports an expired one as expired', () => {
    const early = setup({ setupId: 'early', expiresAt: '2026-12-02T00:00:00.000Z' });
    const late = setup({ setupId: 'late', expiresAt: '2026-12-05T00:00:00.000Z' });
    expect(matchSetup([early, late], early.externalId, ACCOUNT, NOW)).toMatchObject({
      kind: 'open',
      setup: { setupId: 'late' },
    });
    expect(
      matchSetup([early], early.externalId, ACCOUNT, new Date('2026-12-03T00:00:00.000Z')),
    ).toMatchObject({
      kind: 'expired',
    });
  });
});
