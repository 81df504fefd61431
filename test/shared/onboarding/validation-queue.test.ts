/**
 * The queue of an organization setup on a real table (docs/architecture.md §9.7, invariant 10):
 * an organization's accounts registering all at once are all recorded — lost races on the setup's
 * slot version retried, none refused — at most the organization cap of them hold a slot, and the
 * rest wait unannounced; each verdict hands its slot to the earliest deadline waiting, until every
 * account is ACTIVE. An entry whose request no longer waits is dropped, not proven.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localResponseUrlPolicy } from '#local/emulator/response-receiver.ts';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import type { Setup } from '#shared/domain/setup.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { createMembershipChecker } from '#shared/onboarding/organization-membership.ts';
import type { PendingCaps } from '#shared/onboarding/pending-caps.ts';
import { createRegistrationHandler, type RegistrationRequest } from '#shared/onboarding/registration.ts';
import { nextInQueue } from '#shared/onboarding/registration-decision.ts';
import { createRoleProver } from '#shared/onboarding/role-proof.ts';
import { createValidator } from '#shared/onboarding/validation.ts';
import { createValidationQueue } from '#shared/onboarding/validation-queue.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { randomAccountId } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { openSetup, uniqueCustomer } from '../../support/onboarding.ts';
import { startResponseServer } from '../../support/response-server.ts';

const ORGANIZATION = 'o-acme000001';
const caps: PendingCaps = { perSetup: 5, perCustomer: 8, perOrganization: 2, organizationQueue: 100 };
const eventBridge = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);
let table: Awaited<ReturnType<typeof createTestTable>>;
let server: Awaited<ReturnType<typeof startResponseServer>>;
let store: ReturnType<typeof createConnectionStore>;
const trusted = new Set<string>();
/** Every `Role Registered` detail published, in order. */
let announced: { accountId: string; correlationId: string; customerId: string }[] = [];

const quiet = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() });
const common = () => ({
  store,
  publisher: createEventPublisher({ client: new EventBridgeClient({}), busName: 'keyless-test' }),
  answers: createAnswerSender({ policy: localResponseUrlPolicy('http://127.0.0.1:1') }),
  logger: quiet(),
  metrics: { addMetric: vi.fn() },
  caps,
  sleep: async () => undefined,
});

beforeAll(async () => {
  table = await createTestTable('keyless-queue');
  server = await startResponseServer();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(async () => {
  await server.close();
  await table.drop();
});
beforeEach(() => {
  announced = [];
  eventBridge.reset();
  sts.reset();
  eventBridge
    .on(PutEventsCommand)
    .callsFake((input: { Entries: { DetailType: string; Detail: string }[] }) => {
      for (const entry of input.Entries)
        if (entry.DetailType === 'Role Registered') announced.push(JSON.parse(entry.Detail));
      return { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: randomUUID() })) };
    });
  // Each role trusts its setup's External ID only; a session's key names its account.
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string; ExternalId?: string }) => {
    if (!input.ExternalId || !trusted.has(input.ExternalId))
      throw Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const account = input.RoleArn.split(':')[4];
    return {
      Credentials: {
        AccessKeyId: `ASIA${account}`,
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(),
      },
    };
  });
  sts.on(GetCallerIdentityCommand).rejects(new Error('read through the injected reader'));
});

const registration = () =>
  createRegistrationHandler({ ...common(), responseUrlPolicy: localResponseUrlPolicy(server.origin) });

/** A registration by API of `accountId`'s role through `setup` (no stack waits for an answer). */
function requestFor(setup: Setup, accountId: string, windowMs = 600_000): RegistrationRequest {
  const requestId = randomUUID();
  return {
    requestId,
    requestType: 'Create',
    customerId: setup.customerId,
    accountId,
    roleArn: `arn:aws:iam::${accountId}:role/KeylessAccess`,
    externalId: setup.externalId,
    source: 'api',
    pendingFor: (at) => ({ requestId, requestType: 'Create', deadline: at.getTime() + windowMs }),
  };
}

async function organizationSetup() {
  const setup = await openSetup(store, uniqueCustomer(), {
    scope: 'organization',
    organizationId: ORGANIZATION,
  });
  trusted.add(setup.externalId);
  return setup;
}
const accountsOf = (count: number) => Array.from({ length: count }, () => randomAccountId());

describe('an organization setup’s queue', () => {
  it('records every account registering at once, announcing only as many as the cap', async () => {
    const setup = await organizationSetup();
    const outcomes = await Promise.all(
      accountsOf(7).map((id) => registration().register(requestFor(setup, id))),
    );

    expect(outcomes.map((o) => o.kind)).toEqual(Array(7).fill('pending'));
    const stored = await store.getSetup(setup.customerId, setup.setupId);
    expect(Object.keys(stored?.pendingValidations ?? {})).toHaveLength(2);
    expect(Object.keys(stored?.queuedValidations ?? {})).toHaveLength(5);
    expect(announced.map((a) => a.accountId).sort()).toEqual(
      Object.keys(stored?.pendingValidations ?? {}).sort(),
    );
  });

  it('hands each freed slot to the next account until all are ACTIVE, never more than the cap at once', async () => {
    const setup = await organizationSetup();
    const ids = accountsOf(7);
    await Promise.all(ids.map((id) => registration().register(requestFor(setup, id))));
    const validator = createValidator({
      ...common(),
      prover: createRoleProver({
        sts: new STSClient({}),
        callerIdentity: async (credentials) => ({ Account: credentials.AccessKeyId?.slice(4) }),
        sleep: async () => undefined,
        random: () => 0.5,
      }),
      membership: createMembershipChecker({
        describeOrganization: async () => ({ kind: 'member', organizationId: ORGANIZATION }),
        sleep: async () => undefined,
      }),
    });

    let peak = 0;
    for (let next = announced.shift(); next; next = announced.shift()) {
      const current = await store.getSetup(setup.customerId, setup.setupId);
      peak = Math.max(peak, Object.keys(current?.pendingValidations ?? {}).length);
      const connection = await store.getConnection(next.customerId, next.accountId);
      await validator.validateRegistration(
        {
          ...next,
          version: connection?.version ?? 1,
          roleArn: `arn:aws:iam::${next.accountId}:role/KeylessAccess`,
          reason: 'create',
        },
        { remainingMs: () => 900_000, eventId: randomUUID() },
      );
    }

    const connections = await store.listAllConnections(setup.customerId);
    expect(connections.map((c) => c.status)).toEqual(Array(7).fill('ACTIVE'));
    expect(peak).toBeLessThanOrEqual(caps.perOrganization);
    const drained = await store.getSetup(setup.customerId, setup.setupId);
    expect(drained?.queuedValidations).toEqual({});
    expect(drained?.pendingValidations).toEqual({});
  });

  it('gives a waiting registration its slot without announcing any until a slot frees', async () => {
    const setup = await organizationSetup();
    await Promise.all(accountsOf(3).map((id) => registration().register(requestFor(setup, id))));
    const queue = createValidationQueue(common());
    announced = [];

    expect(await queue.drain({ customerId: setup.customerId, setupId: setup.setupId })).toBe(0);
    const held = Object.keys(
      (await store.getSetup(setup.customerId, setup.setupId))?.pendingValidations ?? {},
    );
    await store.releaseValidationSlot({
      customerId: setup.customerId,
      setupId: setup.setupId,
      accountId: held[0] as string,
      until:
        (await store.getSetup(setup.customerId, setup.setupId))?.pendingValidations?.[held[0] as string] ?? 0,
    });
    expect(await queue.drain({ customerId: setup.customerId, setupId: setup.setupId })).toBe(1);
    expect(announced).toHaveLength(1);
  });

  it('puts a request it could not announce back at the head of the queue, without its slot, for the next drain', async () => {
    const setup = await organizationSetup();
    const [a, b, waiting] = accountsOf(3) as [string, string, string];
    for (const id of [a, b, waiting]) await registration().register(requestFor(setup, id));
    const key = { customerId: setup.customerId, setupId: setup.setupId };
    const before = await store.getSetup(setup.customerId, setup.setupId);
    await store.releaseValidationSlot({ ...key, accountId: a, until: before?.pendingValidations?.[a] ?? 0 });
    // EventBridge refuses every entry, through all of the publisher's retries.
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    announced = [];

    expect(await createValidationQueue(common()).drain(key)).toBe(0);
    const after = await store.getSetup(setup.customerId, setup.setupId);
    expect(Object.keys(after?.pendingValidations ?? {})).toEqual([b]);
    expect(after?.queuedValidations).toEqual({ [waiting]: before?.queuedValidations?.[waiting] });
    const connection = await store.getConnection(setup.customerId, waiting);
    expect(connection && 'pendingAnswer' in connection && connection.pendingAnswer?.queued).toBe(true);

    // EventBridge is back: the next drain promotes and announces it.
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: { DetailType: string; Detail: string }[] }) => {
        for (const entry of input.Entries) announced.push(JSON.parse(entry.Detail));
        return { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: randomUUID() })) };
      });
    expect(await createValidationQueue(common()).drain(key)).toBe(1);
    expect(announced.map((e) => e.accountId)).toEqual([waiting]);
    const drained = await store.getSetup(setup.customerId, setup.setupId);
    expect(Object.keys(drained?.pendingValidations ?? {}).sort()).toEqual([b, waiting].sort());
    expect(drained?.queuedValidations).toEqual({});
  });

  it('never drops an entry another drain is putting back: it promotes it once the entry returns', async () => {
    const setup = await organizationSetup();
    const [a, b, waiting] = accountsOf(3) as [string, string, string];
    for (const id of [a, b, waiting]) await registration().register(requestFor(setup, id));
    const key = { customerId: setup.customerId, setupId: setup.setupId };
    const slots = (await store.getSetup(setup.customerId, setup.setupId))?.pendingValidations ?? {};
    await store.releaseValidationSlot({ ...key, accountId: a, until: slots[a] ?? 0 });
    // Another drain promotes the waiting request just as this one reads it, and puts it back (its
    // Role Registered refused) just after: this drain sees the same request, no longer queued.
    let interleaved = false;
    const racing = Object.create(store) as typeof store;
    racing.getConnection = async (customerId, accountId) => {
      if (interleaved || accountId !== waiting) return store.getConnection(customerId, accountId);
      interleaved = true;
      const [current, open] = await Promise.all([
        store.getSetup(setup.customerId, setup.setupId),
        store.listOpenSetups(setup.customerId, new Date(0)),
      ]);
      const claim = nextInQueue(open, current!, caps, new Date())!;
      const before = await store.getConnection(customerId, accountId);
      const requestId = (before as { pendingAnswer: { requestId: string } }).pendingAnswer.requestId;
      expect(await store.promoteQueued(claim, { customerId, requestId }, new Date())).toBe('promoted');
      const seen = await store.getConnection(customerId, accountId);
      expect(await store.requeuePromoted({ ...key, accountId, until: claim.until, requestId })).toBe(true);
      return seen;
    };
    announced = [];

    expect(await createValidationQueue({ ...common(), store: racing }).drain(key)).toBe(1);
    expect(announced.map((e) => e.accountId)).toEqual([waiting]);
    const after = await store.getSetup(setup.customerId, setup.setupId);
    expect(after?.queuedValidations).toEqual({});
    expect(Object.keys(after?.pendingValidations ?? {}).sort()).toEqual([b, waiting].sort());
  });

  it('drops an entry whose request no longer waits, and gives the slot to the next one', async () => {
    const setup = await organizationSetup();
    const [a, b, gone, waiting] = accountsOf(4) as [string, string, string, string];
    for (const id of [a, b]) await registration().register(requestFor(setup, id));
    await registration().register(requestFor(setup, gone, 500_000));
    await registration().register(requestFor(setup, waiting));
    // The earliest deadline's request was answered meanwhile (its pending answer cleared).
    const stale = await store.getConnection(setup.customerId, gone);
    await store.updateConnection({
      connection: stale!,
      to: 'FAILED',
      set: { lastError: 'x' },
      remove: ['pendingAnswer'],
      audit: { actor: 'test', reason: 'test' },
    });
    const slots = (await store.getSetup(setup.customerId, setup.setupId))?.pendingValidations ?? {};
    await store.releaseValidationSlot({
      customerId: setup.customerId,
      setupId: setup.setupId,
      accountId: a,
      until: slots[a] ?? 0,
    });
    announced = [];

    expect(
      await createValidationQueue(common()).drain({ customerId: setup.customerId, setupId: setup.setupId }),
    ).toBe(1);
    expect(announced.map((e) => e.accountId)).toEqual([waiting]);
    const after = await store.getSetup(setup.customerId, setup.setupId);
    expect(Object.keys(after?.queuedValidations ?? {})).toEqual([]);
    expect(Object.keys(after?.pendingValidations ?? {}).sort()).toEqual([b, waiting].sort());
  });
});
