/**
 * The breaks an outside review found in the local system, one test per point, each replaying the
 * review's attack (RELIABILITY.md, "Bugs found by an outside review"). Every test failed on the
 * code the review attacked. The lifecycle is wired as in production on DynamoDB Local, with the
 * local runtime's STS deciding every AssumeRole from the role's trust policy.
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CustomResourceRequest } from '#shared/cloudformation/request.ts';
import { DETAIL_TYPES, type DetailOf } from '#shared/events/catalog.ts';
import { runLegacyCli } from '#shared/legacy/cli.ts';
import { DEFAULT_PENDING_CAPS } from '#shared/onboarding/registration-decision.ts';
import { DEFAULT_PROOF_ATTEMPTS } from '#shared/onboarding/role-proof.ts';
import { startRotation } from '#shared/onboarding/setups.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { itemKeys } from '#shared/store/table-definition.ts';
import { captureOutput } from '../shared/broker/support/capture-output.ts';
import { randomAccountId } from '../support/builders.ts';
import { createTestTable } from '../support/dynamodb.ts';
import {
  createRequest,
  customerWithSetup,
  openSetup,
  stackIdFor,
  uniqueCustomer,
} from '../support/onboarding.ts';
import { startResponseServer } from '../support/response-server.ts';
import { createFigures } from './support/figures.ts';
import { wireLifecycle } from './support/lifecycle.ts';
import { FUZZ_RUNS, FUZZ_SEED } from './support/settings.ts';
import { simulateEventBridge, simulateSts } from './support/simulated-aws.ts';

const sts = simulateSts();
const bus = simulateEventBridge();
const figures = createFigures(import.meta.filename);

let table: Awaited<ReturnType<typeof createTestTable>>;
let server: Awaited<ReturnType<typeof startResponseServer>>;
let store: ReturnType<typeof createConnectionStore>;
let life: ReturnType<typeof wireLifecycle>;
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  table = await createTestTable('keyless-review');
  server = await startResponseServer();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(async () => {
  figures.write();
  await server.close();
  await table.drop();
});
beforeEach(() => {
  sts.reset();
  bus.reset();
  output = captureOutput();
  life = wireLifecycle({ store, localOrigin: server.origin });
});
afterEach(() => output.restore());

const plenty = () => 600_000;
/** A request as SNS delivers it: the topic (set by SNS, never by the sender) is us-east-1's. */
const viaTopic = (payload: CustomResourceRequest, topicRegion = 'us-east-1') => ({
  deliveryId: randomUUID(),
  payload,
  topicRegion,
});
/** The "CloudFormation Stack Status Change" a customer account forwards when its stack is deleted. */
const deleteComplete = (stackId: string, account: string) => ({
  id: randomUUID(),
  source: 'aws.cloudformation' as const,
  'detail-type': 'CloudFormation Stack Status Change' as const,
  account,
  region: 'us-east-1',
  detail: { 'stack-id': stackId, 'status-details': { status: 'DELETE_COMPLETE' } },
});
const roleIn = (accountId: string) => `arn:aws:iam::${accountId}:role/KeylessAccess`;
const lastAnswer = (request: CustomResourceRequest) => server.answersFor(request.RequestId).at(-1);

/**
 * Validates the `Role Registered` the callback emitted for this connection: the last one, or the
 * one of request `requestId` (a rule target receives them all; the validator acts on the pending one).
 */
async function validate(customerId: string, accountId: string, requestId?: string) {
  const events = bus.of(DETAIL_TYPES.roleRegistered, customerId, accountId);
  const event = requestId ? events.find((e) => e.detail.correlationId === requestId) : events.at(-1);
  if (!event) throw new Error(`no Role Registered for ${customerId}/${accountId}`);
  return life.validator.validateRegistration(event.detail as DetailOf<typeof DETAIL_TYPES.roleRegistered>, {
    remainingMs: plenty,
    eventId: event.id,
  });
}

/** A customer onboarded through the whole lifecycle: offer, stack Create, validation, ACTIVE. */
async function onboarded(customerId = uniqueCustomer(), accountId = randomAccountId()) {
  const setup = await openSetup(store, customerId);
  const roleArn = roleIn(accountId);
  await sts.trust(roleArn, setup.externalId);
  const request = createRequest({
    customerId,
    accountId,
    externalId: setup.externalId,
    responseUrl: server.url,
  });
  await life.registration.handle(viaTopic(request));
  await validate(customerId, accountId);
  const connection = await store.getConnection(customerId, accountId);
  expect(connection).toMatchObject({ status: 'ACTIVE' });
  return { customerId, accountId, roleArn, setup, request, stackId: request.StackId };
}

describe('outside review', () => {
  it('1. keeps a stack link with the connection it proved: a Create naming the victim stack is refused, and the stack deletion still revokes the victim', async () => {
    // Prepare: a victim connection, and an attacker with an open offer of its own.
    const victim = await onboarded();
    const attacker = uniqueCustomer();
    const offer = await openSetup(store, attacker);
    const forged = createRequest({
      customerId: attacker,
      accountId: victim.accountId,
      externalId: offer.externalId,
      stackId: victim.stackId,
      roleArn: victim.roleArn,
      responseUrl: server.url,
    });
    // Act
    await life.registration.handle(viaTopic(forged));
    await life.revoker.onStackStatusChange(deleteComplete(victim.stackId, victim.accountId));
    // Assess
    expect(lastAnswer(forged)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/already registered another connection/),
    });
    expect(await store.getConnection(attacker, victim.accountId)).toBeUndefined();
    expect(await store.getConnection(victim.customerId, victim.accountId)).toMatchObject({
      status: 'REVOKED',
    });
  });

  describe('2. confused deputy', () => {
    it('rejects a role whose trust matches any External ID of the provider (StringLike wildcard), naming the fix', async () => {
      // Prepare
      const customerId = uniqueCustomer();
      const accountId = randomAccountId();
      const setup = await openSetup(store, customerId);
      await sts.trust(roleIn(accountId), { operator: 'StringLike', value: 'keyless-*' });
      const request = createRequest({
        customerId,
        accountId,
        externalId: setup.externalId,
        responseUrl: server.url,
      });
      // Act
      await life.registration.handle(viaTopic(request));
      const outcome = await validate(customerId, accountId);
      // Assess
      expect(outcome).toMatchObject({ kind: 'rejected' });
      expect(await store.getConnection(customerId, accountId)).toMatchObject({
        status: 'FAILED',
        lastError: expect.stringMatching(/StringEquals .* not StringLike with a wildcard/),
      });
      expect(lastAnswer(request)).toMatchObject({
        Status: 'FAILED',
        Reason: expect.stringMatching(/StringEquals/),
      });
    });

    it('refuses a role already connected for one customer when another registers it, before any AssumeRole', async () => {
      // Prepare: the role trusts both customers' External IDs (a list, which the decoy cannot catch).
      const first = uniqueCustomer();
      const second = uniqueCustomer();
      const accountId = randomAccountId();
      const [firstOffer, secondOffer] = [await openSetup(store, first), await openSetup(store, second)];
      await sts.trust(roleIn(accountId), {
        operator: 'StringEquals',
        value: [firstOffer.externalId, secondOffer.externalId],
      });
      const firstCreate = createRequest({
        customerId: first,
        accountId,
        externalId: firstOffer.externalId,
        responseUrl: server.url,
      });
      await life.registration.handle(viaTopic(firstCreate));
      await validate(first, accountId);
      const callsBefore = sts.calls();
      // Act
      const secondCreate = createRequest({
        customerId: second,
        accountId,
        externalId: secondOffer.externalId,
        responseUrl: server.url,
      });
      await life.registration.handle(viaTopic(secondCreate));
      // Assess
      expect(await store.getConnection(first, accountId)).toMatchObject({ status: 'ACTIVE' });
      expect(lastAnswer(secondCreate)).toMatchObject({
        Status: 'FAILED',
        Reason: expect.stringMatching(/already connected for another customer/),
      });
      expect(await store.getConnection(second, accountId)).toBeUndefined();
      expect(sts.calls()).toBe(callsBefore);
    });

    it('refuses the second of two customers registered with one role before either was proven', async () => {
      const first = uniqueCustomer();
      const second = uniqueCustomer();
      const accountId = randomAccountId();
      const [firstOffer, secondOffer] = [await openSetup(store, first), await openSetup(store, second)];
      await sts.trust(roleIn(accountId), {
        operator: 'StringEquals',
        value: [firstOffer.externalId, secondOffer.externalId],
      });
      for (const [customerId, offer] of [
        [first, firstOffer],
        [second, secondOffer],
      ] as const) {
        await life.registration.handle(
          viaTopic(
            createRequest({ customerId, accountId, externalId: offer.externalId, responseUrl: server.url }),
          ),
        );
      }
      // Act
      const verdicts = [await validate(first, accountId), await validate(second, accountId)];
      // Assess
      expect(verdicts.map((v) => v.kind)).toEqual(['validated', 'rejected']);
      expect(await store.getConnection(second, accountId)).toMatchObject({
        status: 'FAILED',
        lastError: expect.stringMatching(/already connected for another customer/),
      });
    });
  });

  it('3. closes every offer issued before a revocation: a rotation link and a second onboarding offer cannot re-create the connection', async () => {
    // Prepare: a live connection, a rotation link and a second onboarding offer, then a manual revocation.
    const live = await onboarded();
    const settings = {
      templateUrl: 'https://t',
      homeRegion: 'us-east-1',
      regions: ['us-east-1'],
      setupTtlDays: 7,
    };
    const rotation = await startRotation(live, { store, settings, now: life.clock.date() });
    const secondOffer = await openSetup(store, live.customerId, {
      createdAt: life.clock.date().toISOString(),
    });
    life.clock.advance(1_000);
    await life.revoker.revokeByHand({ ...live, requestId: randomUUID() });
    // Act: plain Creates of the same account with either offer's External ID
    const creates = [rotation.externalId, secondOffer.externalId].map((externalId) =>
      createRequest({ ...live, externalId, stackId: stackIdFor(live.accountId), responseUrl: server.url }),
    );
    for (const create of creates)
      await sts.trust(live.roleArn, String(create.ResourceProperties?.ExternalId));
    for (const create of creates) await life.registration.handle(viaTopic(create));
    // Assess
    for (const create of creates) {
      expect(lastAnswer(create)).toMatchObject({
        Status: 'FAILED',
        Reason: expect.stringMatching(/was revoked at .*only a launch link issued after the revocation/),
      });
    }
    expect(await store.getConnection(live.customerId, live.accountId)).toMatchObject({ status: 'REVOKED' });
    // An offer issued after the revocation connects the account again.
    life.clock.advance(1_000);
    const newOffer = await openSetup(store, live.customerId, { createdAt: life.clock.date().toISOString() });
    await sts.trust(live.roleArn, newOffer.externalId);
    const again = createRequest({ ...live, externalId: newOffer.externalId, responseUrl: server.url });
    await life.registration.handle(viaTopic(again));
    expect(await validate(live.customerId, live.accountId)).toMatchObject({ kind: 'validated' });
  });

  it('4. needs an open setup to register a connection that was never proven, even with its own External ID', async () => {
    // Prepare: a registration that failed validation, whose setup has expired since.
    const { customerId, accountId, setup, request: first } = await customerWithSetup(store, server.url);
    await life.registration.handle(viaTopic(first));
    await validate(customerId, accountId);
    expect(await store.getConnection(customerId, accountId)).toMatchObject({ status: 'FAILED' });
    await table.documentClient.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: itemKeys.setup(customerId, setup.setupId),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 60_000).toISOString() },
      }),
    );
    await sts.trust(roleIn(accountId), setup.externalId);
    // Act
    const again = createRequest({
      customerId,
      accountId,
      externalId: setup.externalId,
      responseUrl: server.url,
    });
    await life.registration.handle(viaTopic(again));
    // Assess
    expect(lastAnswer(again)).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/expired/) });
    expect(await store.getConnection(customerId, accountId)).toMatchObject({ status: 'FAILED' });
  });

  it('5. bounds the work of a flood from one offer, and an honest onboarding during it ends ACTIVE', async () => {
    // Prepare: an attacker's offer, 25 forged Creates for roles in accounts nobody controls.
    const attacker = uniqueCustomer();
    const offer = await openSetup(store, attacker);
    const forged = Array.from({ length: 25 }, () => {
      const accountId = randomAccountId();
      return createRequest({
        customerId: attacker,
        accountId,
        externalId: offer.externalId,
        responseUrl: server.url,
      });
    });
    const callsBefore = sts.calls();
    // Act: the flood arrives at once (a Create that loses every race is redelivered, as Lambda would).
    let pending = forged;
    for (let round = 0; pending.length > 0 && round < 10; round++) {
      const results = await Promise.allSettled(
        pending.map((request) => life.registration.handle(viaTopic(request))),
      );
      pending = pending.filter((_, index) => results[index]?.status === 'rejected');
    }
    const admitted = forged.filter((request) => server.answersFor(request.RequestId).length === 0);
    const honest = onboarded();
    const floodVerdicts = admitted.map((request) =>
      validate(attacker, String(request.StackId.split(':')[4])),
    );
    await Promise.all([honest, ...floodVerdicts]);
    const floodCalls = sts.calls() - callsBefore - 3; // the honest proof: with, without and decoy
    figures.add('floodRegistrations', forged.length);
    figures.add('floodAssumeRoleCalls', floodCalls);
    // Assess
    expect(pending).toEqual([]);
    expect(admitted.length).toBeGreaterThan(0);
    expect(admitted.length).toBeLessThanOrEqual(DEFAULT_PENDING_CAPS.perSetup);
    // The rest are answered at once: the cap is full, or the race for its last slot was lost.
    for (const request of forged.filter((r) => !admitted.includes(r))) {
      expect(lastAnswer(request)).toMatchObject({
        Status: 'FAILED',
        Reason: expect.stringMatching(
          /registrations awaiting validation, the most it allows at once|busy with other registrations/,
        ),
      });
    }
    expect(floodCalls).toBeLessThanOrEqual(DEFAULT_PENDING_CAPS.perSetup * DEFAULT_PROOF_ATTEMPTS);
    // Every forged validation ended within its fixed budget, and freed its slot.
    const settled = await store.getSetup(attacker, offer.setupId);
    expect(Object.keys(settled?.pendingValidations ?? {})).toEqual([]);
  });

  it('5. bounds every generated flood from one offer (sizes, duplicate deliveries, repeated accounts)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          size: fc.integer({ min: 1, max: 40 }),
          duplicates: fc.nat({ max: 10 }),
          accounts: fc.integer({ min: 1, max: 40 }),
        }),
        async ({ size, duplicates, accounts }) => {
          // Prepare: `size` forged Creates over `accounts` accounts, some delivered twice.
          const attacker = uniqueCustomer();
          const offer = await openSetup(store, attacker);
          const pool = Array.from({ length: accounts }, () => randomAccountId());
          const forged = Array.from({ length: size }, (_, i) =>
            createRequest({
              customerId: attacker,
              accountId: pool[i % pool.length]!,
              externalId: offer.externalId,
              responseUrl: server.url,
            }),
          );
          const deliveries = [...forged, ...forged.slice(0, duplicates)];
          const callsBefore = sts.calls();
          // Act
          let pending = deliveries;
          for (let round = 0; pending.length > 0 && round < 20; round++) {
            const results = await Promise.allSettled(
              pending.map((r) => life.registration.handle(viaTopic(r))),
            );
            pending = pending.filter((_, index) => results[index]?.status === 'rejected');
          }
          const waiting = (await store.listAllConnections(attacker)).flatMap((c) =>
            'pendingAnswer' in c && c.pendingAnswer
              ? [{ accountId: c.accountId, requestId: c.pendingAnswer.requestId }]
              : [],
          );
          await Promise.all(waiting.map((c) => validate(attacker, c.accountId, c.requestId)));
          const calls = sts.calls() - callsBefore;
          figures.add('floodRegistrations', deliveries.length);
          figures.add('floodAssumeRoleCalls', calls);
          // Assess: at most the cap awaited validation at once, each within its fixed budget.
          expect(pending).toEqual([]);
          expect(waiting.length).toBeLessThanOrEqual(DEFAULT_PENDING_CAPS.perSetup);
          expect(calls).toBeLessThanOrEqual(waiting.length * DEFAULT_PROOF_ATTEMPTS);
          for (const request of forged) {
            const answers = server.answersFor(request.RequestId);
            expect(answers.length, 'every forged request is answered').toBeGreaterThan(0);
            expect(answers.every((a) => a.Status === 'FAILED')).toBe(true);
          }
        },
      ),
      {
        numRuns: Math.max(3, Math.ceil(FUZZ_RUNS / 2_000)),
        ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }),
      },
    );
  }, 300_000);

  it('6. holds one customer-id rule at every entry point: the legacy CLI refuses what the API refuses', async () => {
    const run = runLegacyCli(['register', '--customer', 'Acme Corp', '--account', randomAccountId()], {
      env: {
        TABLE_NAME: table.tableName,
        LEGACY_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        LEGACY_SECRET_ACCESS_KEY: 'x'.repeat(40),
      },
      readStdin: async () => '',
      print: () => {},
    });
    await expect(run).rejects.toThrow(/check customerId must be 1–128 letters, digits/);
    await expect(
      runLegacyCli(['retire', '--customer', 'Acme Corp', '--account', randomAccountId()], {
        env: { TABLE_NAME: table.tableName },
        readStdin: async () => '',
        print: () => {},
      }),
    ).rejects.toThrow(/customerId must be 1–128 letters, digits/);
  });

  it('7. refuses a StackId of another region than the topic that delivered the request', async () => {
    const { customerId, accountId, request } = await customerWithSetup(store, server.url);
    // Act: the StackId says us-east-1; SNS delivered it through eu-west-1's topic.
    await life.registration.handle(viaTopic(request, 'eu-west-1'));
    // Assess
    expect(lastAnswer(request)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(
        /StackId names region us-east-1, but the request came through the topic of eu-west-1/,
      ),
    });
    expect(await store.getConnection(customerId, accountId)).toBeUndefined();
  });
});

describe('second review of the fixes', () => {
  it('never moves a proven connection to another stack: a forged Update from a made-up stack is refused, and the real stack still revokes', async () => {
    // Prepare: a live connection that went BROKEN (its External ID is in its launch link, not a secret).
    const live = await onboarded();
    const connection = await store.getConnection(live.customerId, live.accountId);
    await store.updateConnection({
      connection: connection!,
      to: 'BROKEN',
      set: { lastError: 'AccessDenied' },
      audit: { actor: 'test', reason: 'broken for the test' },
    });
    const forged = createRequest({
      ...live,
      externalId: live.setup.externalId,
      stackId: stackIdFor(live.accountId),
      responseUrl: server.url,
    });
    // Act
    await life.registration.handle(
      viaTopic({
        ...forged,
        RequestType: 'Update',
        PhysicalResourceId: `keyless-${live.customerId}-${live.accountId}`,
        OldResourceProperties: forged.ResourceProperties,
      } as CustomResourceRequest),
    );
    await life.revoker.onStackStatusChange(deleteComplete(live.stackId, live.accountId));
    // Assess
    expect(lastAnswer(forged)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/is connected through stack .*update that stack/),
    });
    expect(await store.getConnection(live.customerId, live.accountId)).toMatchObject({
      status: 'REVOKED',
      stackId: live.stackId,
    });
  });

  it('keeps refusing an offer issued before a revocation once the account is connected again', async () => {
    // Prepare: an old offer, a revocation, and a re-onboarding through an offer issued after it.
    const live = await onboarded();
    const oldOffer = await openSetup(store, live.customerId, { createdAt: life.clock.date().toISOString() });
    life.clock.advance(1_000);
    await life.revoker.revokeByHand({ ...live, requestId: randomUUID() });
    life.clock.advance(1_000);
    const newOffer = await openSetup(store, live.customerId, { createdAt: life.clock.date().toISOString() });
    await sts.trust(live.roleArn, {
      operator: 'StringEquals',
      value: [newOffer.externalId, oldOffer.externalId],
    });
    const again = createRequest({ ...live, externalId: newOffer.externalId, responseUrl: server.url });
    await life.registration.handle(viaTopic(again));
    // Act: while it is being validated, a Create with the old offer's External ID
    const stale = createRequest({ ...live, externalId: oldOffer.externalId, responseUrl: server.url });
    await life.registration.handle(viaTopic(stale));
    // Assess
    expect(lastAnswer(stale)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/was revoked at .*launch link issued after the revocation/),
    });
    expect(server.answersFor(again.RequestId)).toEqual([]);
    expect(await validate(live.customerId, live.accountId, again.RequestId)).toMatchObject({
      kind: 'validated',
    });
  });

  it('proves a redelivered registration once, however often Role Registered arrives', async () => {
    // Prepare: one registration for a role nobody controls, its event delivered five times at once.
    const { customerId, accountId, request } = await customerWithSetup(store, server.url);
    await life.registration.handle(viaTopic(request));
    const event = bus.of(DETAIL_TYPES.roleRegistered, customerId, accountId).at(-1)!;
    const callsBefore = sts.calls();
    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        life.validator.validateRegistration(event.detail as DetailOf<typeof DETAIL_TYPES.roleRegistered>, {
          remainingMs: plenty,
          eventId: event.id,
        }),
      ),
    );
    // Assess
    expect(outcomes.filter((o) => o.kind === 'rejected')).toHaveLength(1);
    expect(sts.calls() - callsBefore).toBeLessThanOrEqual(DEFAULT_PROOF_ATTEMPTS);
    expect(server.answersFor(request.RequestId)).toHaveLength(1);
  });

  it('gives the proof lease back when the invocation fails before its verdict, so the retry proves the request', async () => {
    // Prepare: a registration whose first verdict write fails for good (the platform retries).
    const { customerId, accountId, setup, request } = await customerWithSetup(store, server.url);
    await sts.trust(roleIn(accountId), setup.externalId);
    await life.registration.handle(viaTopic(request));
    const failing = vi
      .spyOn(store, 'updateConnection')
      .mockRejectedValueOnce(new Error('DynamoDB unavailable'));
    // Act
    await expect(validate(customerId, accountId)).rejects.toThrow(/DynamoDB unavailable/);
    failing.mockRestore();
    const retried = await validate(customerId, accountId);
    // Assess
    expect(retried).toMatchObject({ kind: 'validated' });
    expect(server.answersFor(request.RequestId)).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('treats one role named in another case as the same role: it still serves one customer', async () => {
    const first = await onboarded();
    const other = uniqueCustomer();
    const offer = await openSetup(store, other);
    const request = createRequest({
      customerId: other,
      accountId: first.accountId,
      externalId: offer.externalId,
      roleArn: `arn:aws:iam::${first.accountId}:role/team/keylessaccess`,
      responseUrl: server.url,
    });
    await life.registration.handle(viaTopic(request));
    expect(lastAnswer(request)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/already connected for another customer/),
    });
  });

  it('remembers a superseded request as answered, so its late redelivery changes nothing', async () => {
    const { customerId, accountId, setup, request: first } = await customerWithSetup(store, server.url);
    const second = createRequest({
      customerId,
      accountId,
      externalId: setup.externalId,
      responseUrl: server.url,
    });
    await life.registration.handle(viaTopic(first));
    await life.registration.handle(viaTopic(second));
    // Act: the first request arrives again
    const late = await life.registration.handle(viaTopic(first));
    // Assess
    expect(late).toMatchObject({ kind: 'ignored', reason: 'already answered' });
    expect(server.answersFor(first.RequestId)).toEqual([
      expect.objectContaining({ Status: 'FAILED', Reason: expect.stringMatching(/Superseded/) }),
    ]);
    const connection = await store.getConnection(customerId, accountId);
    expect(
      connection && 'pendingAnswer' in connection ? connection.pendingAnswer?.requestId : undefined,
    ).toBe(second.RequestId);
  });
});
