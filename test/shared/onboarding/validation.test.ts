import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localResponseUrlPolicy } from '#local/emulator/response-receiver.ts';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import type { PendingCloudFormationAnswer, RoleConnection } from '#shared/domain/connection.ts';
import { DETAIL_TYPES } from '#shared/events/catalog.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { createRoleProver } from '#shared/onboarding/role-proof.ts';
import { createValidator } from '#shared/onboarding/validation.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { activeConnection, openSetup, publishedEvents, uniqueCustomer } from '../../support/onboarding.ts';
import { startResponseServer } from '../../support/response-server.ts';

const eventBridge = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);
let table: Awaited<ReturnType<typeof createTestTable>>;
let server: Awaited<ReturnType<typeof startResponseServer>>;
let store: ReturnType<typeof createConnectionStore>;

const credentials = { AccessKeyId: 'ASIA', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() };
const accessDenied = () =>
  Object.assign(new Error('not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

/** A fake clock: sleeping advances it, so retries take no real time. */
function fakeClock(start = Date.now()) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

function setup(clock = fakeClock()) {
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const metrics = { addMetric: vi.fn() };
  const validator = createValidator({
    store,
    publisher: createEventPublisher({
      client: new EventBridgeClient({}),
      busName: 'keyless-test',
      sleep: clock.sleep,
    }),
    answers: createAnswerSender({
      policy: localResponseUrlPolicy(server.origin),
      sleep: clock.sleep,
    }),
    prover: createRoleProver({
      sts: new STSClient({}),
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0.5,
    }),
    logger,
    metrics,
    now: () => new Date(clock.now()),
  });
  return { validator, logger, metrics, clock };
}

beforeAll(async () => {
  table = await createTestTable();
  server = await startResponseServer();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(async () => {
  await server.close();
  await table.drop();
});
beforeEach(() => {
  eventBridge.reset();
  sts.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  sts.on(AssumeRoleCommand).rejects(accessDenied());
});

function pendingAnswer(connection: RoleConnection, deadline: number): PendingCloudFormationAnswer {
  const requestId = randomUUID();
  return {
    responseUrl: server.url(requestId),
    requestId,
    requestType: 'Update',
    logicalResourceId: 'KeylessRegistration',
    stackId: connection.stackId,
    physicalResourceId: `keyless-${connection.customerId}-${connection.accountId}`,
    deadline,
  };
}

/** A REGISTERED connection waiting for its Create to be answered. */
async function registered(deadline: number) {
  const active = await activeConnection(store, { customerId: uniqueCustomer() });
  // A connection re-registered by an Update (ACTIVE → REGISTERED) waits like a Create does.
  const pending = pendingAnswer(active, deadline);
  const connection = await store.updateConnection({
    connection: active,
    to: 'REGISTERED',
    set: { pendingAnswer: { ...pending, requestType: 'Create' } },
    audit: { actor: 'test', reason: 'test' },
  });
  return { connection: connection as RoleConnection, pending };
}

const detailFor = (c: RoleConnection, pending: PendingCloudFormationAnswer) => ({
  customerId: c.customerId,
  accountId: c.accountId,
  version: c.version,
  correlationId: pending.requestId,
  roleArn: c.roleArn,
  reason: 'create' as const,
});

describe('createValidator', () => {
  describe('validateRegistration', () => {
    it('retries AccessDenied through IAM propagation with growing, jittered waits, then activates', async () => {
      // Prepare
      const { validator, clock } = setup();
      const { connection, pending } = await registered(clock.now() + 600_000);
      sts
        .on(AssumeRoleCommand, { ExternalId: connection.externalId })
        .rejectsOnce(accessDenied())
        .rejectsOnce(accessDenied())
        .rejectsOnce(accessDenied())
        .resolves({ Credentials: credentials });
      sts.on(GetCallerIdentityCommand).resolves({ Account: connection.accountId });
      // Act
      const outcome = await validator.validateRegistration(detailFor(connection, pending), {
        remainingMs: () => 900_000,
        eventId: 'ev-1',
      });
      // Assess
      expect(outcome).toMatchObject({ kind: 'validated', answered: true });
      expect(clock.sleeps).toEqual([750, 1500, 3000]);
      expect(server.answersFor(pending.requestId)).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    });

    it('answers FAILED before the deadline when the role stays denied', async () => {
      const { validator, clock } = setup();
      const deadline = clock.now() + 60_000;
      const { connection, pending } = await registered(deadline);
      await validator.validateRegistration(detailFor(connection, pending), {
        remainingMs: () => 900_000,
        eventId: 'ev-2',
      });
      expect(clock.now()).toBeLessThan(deadline);
      expect(server.answersFor(pending.requestId)).toEqual([
        expect.objectContaining({
          Status: 'FAILED',
          Reason: expect.stringMatching(/AccessDenied after \d+ attempts/),
        }),
      ]);
      expect(await store.getConnection(connection.customerId, connection.accountId)).toMatchObject({
        status: 'FAILED',
      });
    });

    it('stops retrying in time to answer before the Lambda runs out, even with a later deadline', async () => {
      const { validator, clock } = setup();
      const start = clock.now();
      const { connection, pending } = await registered(start + 3_600_000);
      await validator.validateRegistration(detailFor(connection, pending), {
        remainingMs: () => 30_000 - (clock.now() - start),
        eventId: 'ev-3',
      });
      expect(clock.now() - start).toBeLessThan(20_000);
      expect(server.answersFor(pending.requestId)).toHaveLength(1);
    });

    it('switches a rotated External ID only once the old one is denied, using up the rotation setup', async () => {
      const { validator, clock } = setup();
      const active = await activeConnection(store, { customerId: uniqueCustomer() });
      const rotation = await openSetup(store, active.customerId, { rotatesAccountId: active.accountId });
      const newId = rotation.externalId;
      const pending = pendingAnswer(active, clock.now() + 600_000);
      const rotating = (await store.updateConnection({
        connection: active,
        set: { pendingExternalId: newId, pendingSetupId: rotation.setupId, pendingAnswer: pending },
      })) as RoleConnection;
      sts.on(AssumeRoleCommand, { ExternalId: newId }).resolves({ Credentials: credentials });
      sts.on(GetCallerIdentityCommand).resolves({ Account: active.accountId });
      await validator.validateRegistration(
        { ...detailFor(rotating, pending), reason: 'rotation' },
        { remainingMs: () => 900_000, eventId: 'ev-4' },
      );
      const stored = await store.getConnection(active.customerId, active.accountId);
      expect(stored).toMatchObject({ status: 'ACTIVE', externalId: newId, setupId: rotation.setupId });
      expect(stored).not.toHaveProperty('pendingSetupId');
      expect((await store.getSetup(active.customerId, rotation.setupId))?.status).toBe('USED');
      expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { ExternalId: active.externalId });
    });

    it('answers FAILED and keeps the old External ID when the old one still works after a rotation', async () => {
      const { validator, clock } = setup();
      const active = await activeConnection(store, { customerId: uniqueCustomer() });
      const rotation = await openSetup(store, active.customerId, { rotatesAccountId: active.accountId });
      const newId = rotation.externalId;
      const pending = pendingAnswer(active, clock.now() + 60_000);
      const rotating = (await store.updateConnection({
        connection: active,
        set: { pendingExternalId: newId, pendingSetupId: rotation.setupId, pendingAnswer: pending },
      })) as RoleConnection;
      sts.on(AssumeRoleCommand, { ExternalId: newId }).resolves({ Credentials: credentials });
      sts.on(AssumeRoleCommand, { ExternalId: active.externalId }).resolves({ Credentials: credentials });
      sts.on(GetCallerIdentityCommand).resolves({ Account: active.accountId });
      await validator.validateRegistration(
        { ...detailFor(rotating, pending), reason: 'rotation' },
        { remainingMs: () => 900_000, eventId: 'ev-5' },
      );
      const stored = await store.getConnection(active.customerId, active.accountId);
      expect(stored).toMatchObject({
        status: 'ACTIVE',
        externalId: active.externalId,
        setupId: active.setupId,
      });
      expect(stored).not.toHaveProperty('pendingExternalId');
      expect(stored).not.toHaveProperty('pendingSetupId');
      // Still OPEN: the customer may fix the trust policy and update the stack with the same ID again.
      expect((await store.getSetup(active.customerId, rotation.setupId))?.status).toBe('OPEN');
      expect(server.answersFor(pending.requestId)).toEqual([
        expect.objectContaining({
          Status: 'FAILED',
          Reason: expect.stringMatching(/previous External ID still works/),
        }),
      ]);
    });

    it('logs and counts an answer that cannot be delivered after retries', async () => {
      const { validator, clock, logger, metrics } = setup();
      const { connection, pending } = await registered(clock.now() + 600_000);
      server.failNext(500, 500, 500, 500);
      await validator.validateRegistration(detailFor(connection, pending), {
        remainingMs: () => 900_000,
        eventId: 'ev-6',
      });
      expect(logger.error).toHaveBeenCalledWith('CloudFormation answer not delivered', expect.anything());
      expect(metrics.addMetric).toHaveBeenCalledWith('CloudFormationAnswerFailed', 'Count', 1);
    });
  });

  describe('revalidate', () => {
    it('marks an ACTIVE connection whose role is gone BROKEN and emits Role Validation Failed', async () => {
      const { validator } = setup();
      const active = await activeConnection(store, { customerId: uniqueCustomer() });
      const result = await validator.revalidate(
        { customerId: active.customerId },
        { remainingMs: () => 900_000, eventId: 'sched-1' },
      );
      expect(result.counts).toEqual({ broken: 1 });
      expect(await store.getConnection(active.customerId, active.accountId)).toMatchObject({
        status: 'BROKEN',
        lastError: expect.stringMatching(/AccessDenied/),
      });
      expect(publishedEvents(eventBridge)[0]?.detailType).toBe(DETAIL_TYPES.roleValidationFailed);
    });

    it('brings a BROKEN connection back to ACTIVE once its role works again', async () => {
      const { validator } = setup();
      const active = await activeConnection(store, { customerId: uniqueCustomer() });
      await store.updateConnection({
        connection: active,
        to: 'BROKEN',
        audit: { actor: 'test', reason: 'test' },
      });
      sts.on(AssumeRoleCommand, { ExternalId: active.externalId }).resolves({ Credentials: credentials });
      sts.on(GetCallerIdentityCommand).resolves({ Account: active.accountId });
      const result = await validator.revalidate(
        { customerId: active.customerId, accountId: active.accountId },
        { remainingMs: () => 900_000, eventId: 'sched-2' },
      );
      expect(result.counts).toEqual({ recovered: 1 });
      expect((await store.getConnection(active.customerId, active.accountId))?.status).toBe('ACTIVE');
    });

    it('leaves a connection unchanged when STS is only throttling', async () => {
      const { validator } = setup();
      const active = await activeConnection(store, { customerId: uniqueCustomer() });
      sts.on(AssumeRoleCommand, { ExternalId: active.externalId }).rejects(
        Object.assign(new Error('Rate exceeded'), {
          name: 'Throttling',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      const result = await validator.revalidate(
        { customerId: active.customerId },
        { remainingMs: () => 900_000, eventId: 'sched-3' },
      );
      expect(result.counts).toEqual({ inconclusive: 1 });
      expect((await store.getConnection(active.customerId, active.accountId))?.status).toBe('ACTIVE');
    });
  });
});
