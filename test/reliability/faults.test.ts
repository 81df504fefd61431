/**
 * Faults (issue 7): STS throttling and AccessDenied sequences, DynamoDB throttling and
 * conditional failures, the ResponseURL PUT failing, EventBridge partial failures and the Lambda
 * deadline approaching. Each ends in a defined state, loses nothing, and leaves a log line and a
 * metric (or, where the function lets the platform retry, a thrown error and a clean redelivery).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CustomResourceRequest } from '#shared/cloudformation/request.ts';
import { DETAIL_TYPES, type DetailOf } from '#shared/events/catalog.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { captureOutput } from '../shared/broker/support/capture-output.ts';
import { randomAccountId } from '../support/builders.ts';
import { createTestTable } from '../support/dynamodb.ts';
import {
  createRequest,
  customerWithSetup,
  followUp,
  stackIdFor,
  uniqueCustomer,
} from '../support/onboarding.ts';
import { startResponseServer } from '../support/response-server.ts';
import { createFigures } from './support/figures.ts';
import { wireLifecycle } from './support/lifecycle.ts';
import { accessDenied, simulateEventBridge, simulateSts, throttling } from './support/simulated-aws.ts';

const sts = simulateSts();
const bus = simulateEventBridge();
const figures = createFigures(import.meta.filename);

let table: Awaited<ReturnType<typeof createTestTable>>;
let server: Awaited<ReturnType<typeof startResponseServer>>;
let store: ReturnType<typeof createConnectionStore>;
let output: ReturnType<typeof captureOutput>;
let life: ReturnType<typeof wireLifecycle>;

beforeAll(async () => {
  table = await createTestTable('keyless-faults');
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

const logged = (level: string, message: RegExp) =>
  output.records().filter((r) => String(r.level) === level && message.test(String(r.message)));
const delivery = (payload: CustomResourceRequest) => ({ deliveryId: randomUUID(), payload });

/** A customer whose stack sent Create; returns the request and the Role Registered detail. */
async function registered({ trusted = true } = {}) {
  const { customerId, accountId, setup, request } = await customerWithSetup(store, server.url);
  const roleArn = `arn:aws:iam::${accountId}:role/KeylessAccess`;
  if (trusted) await sts.trust(roleArn, setup.externalId);
  await life.registration.handle(delivery(request));
  const [event] = bus.of(DETAIL_TYPES.roleRegistered, customerId, accountId);
  if (!event) throw new Error('no Role Registered');
  return {
    customerId,
    accountId,
    roleArn,
    request,
    setup,
    detail: event.detail as DetailOf<typeof DETAIL_TYPES.roleRegistered>,
    eventId: event.id,
  };
}
const plenty = () => 600_000;

describe('faults', () => {
  describe('STS', () => {
    it('activates after throttling and then AccessDenied while IAM propagates, answering SUCCESS once', async () => {
      // Prepare
      const { customerId, accountId, roleArn, request, detail, eventId } = await registered();
      sts.failNext(roleArn, throttling, throttling, accessDenied, accessDenied, accessDenied);
      figures.add('faultsInjected', 5);
      // Act
      const outcome = await life.validator.validateRegistration(detail, { remainingMs: plenty, eventId });
      // Assess
      expect(outcome).toMatchObject({ kind: 'validated', answered: true });
      expect(await store.getConnection(customerId, accountId)).toMatchObject({ status: 'ACTIVE' });
      expect(server.answersFor(request.RequestId)).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
      expect(logged('INFO', /Role proof settled/)).toHaveLength(1);
      expect(life.metricsAdded).toContain('RoleValidated');
    });

    it('answers FAILED naming AccessDenied when the role never trusts the External ID', async () => {
      const { customerId, accountId, request, detail, eventId } = await registered({ trusted: false });
      figures.add('faultsInjected');
      const outcome = await life.validator.validateRegistration(detail, { remainingMs: plenty, eventId });
      expect(outcome).toMatchObject({ kind: 'rejected', answered: true });
      expect(await store.getConnection(customerId, accountId)).toMatchObject({
        status: 'FAILED',
        lastError: expect.stringMatching(/AccessDenied after \d+ attempts/),
      });
      expect(server.answersFor(request.RequestId)).toEqual([
        expect.objectContaining({ Status: 'FAILED', Reason: expect.stringMatching(/AccessDenied/) }),
      ]);
      expect(life.metricsAdded).toContain('RoleValidationFailed');
      expect(bus.of(DETAIL_TYPES.roleValidationFailed, customerId, accountId)).toHaveLength(1);
    });

    it('answers FAILED before the Lambda deadline when STS throttles until then', async () => {
      // Prepare: 40 s left in the invocation, STS throttling every call.
      const { customerId, accountId, roleArn, request, detail, eventId } = await registered();
      sts.failNext(roleArn, ...Array.from({ length: 200 }, () => throttling));
      const end = life.clock.now() + 40_000;
      figures.add('faultsInjected', 2);
      // Act
      const outcome = await life.validator.validateRegistration(detail, {
        remainingMs: () => end - life.clock.now(),
        eventId,
      });
      // Assess: answered, with the time the function still had, and the verdict recorded.
      expect(life.clock.now()).toBeLessThan(end);
      expect(outcome).toMatchObject({ kind: 'rejected', answered: true });
      expect(server.answersFor(request.RequestId)).toEqual([
        expect.objectContaining({ Status: 'FAILED', Reason: expect.stringMatching(/Throttling/) }),
      ]);
      expect(await store.getConnection(customerId, accountId)).toMatchObject({ status: 'FAILED' });
      expect(life.metricsAdded).toContain('RoleValidationFailed');
    });
  });

  describe('DynamoDB', () => {
    it('lets the platform retry a throttled write, and the redelivery records exactly one connection', async () => {
      // Prepare: the first transaction is throttled past the SDK's own retries.
      const { customerId, accountId, request } = await customerWithSetup(store, server.url);
      let throttled = 0;
      table.documentClient.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName?.startsWith('TransactWrite') && throttled === 0) {
            throttled++;
            throw Object.assign(new Error('Throughput exceeds the current capacity'), {
              name: 'ProvisionedThroughputExceededException',
              $metadata: { httpStatusCode: 400 },
            });
          }
          return next(args);
        },
        { step: 'initialize', name: 'throttleOnce' },
      );
      figures.add('faultsInjected');
      try {
        // Act
        const first = life.registration.handle(delivery(request));
        await expect(first).rejects.toThrow(/capacity/);
        await life.registration.handle(delivery(request));
      } finally {
        table.documentClient.middlewareStack.remove('throttleOnce');
      }
      // Assess
      expect(await store.listAllConnections(customerId)).toEqual([
        expect.objectContaining({ status: 'REGISTERED', version: 1 }),
      ]);
      expect(await store.listAllAudit(customerId)).toHaveLength(1);
      expect(bus.of(DETAIL_TYPES.roleRegistered, customerId, accountId)).toHaveLength(1);
      expect(server.answersFor(request.RequestId)).toEqual([]);
    });

    it('decides again after a conditional failure caused by a concurrent write, and records one verdict', async () => {
      // Prepare: another writer touches the connection between the validator's read and write.
      const { customerId, accountId, request, detail, eventId } = await registered();
      const realUpdate = store.updateConnection;
      let interfered = false;
      store.updateConnection = async (input) => {
        if (!interfered) {
          interfered = true;
          const current = await store.getConnection(customerId, accountId);
          if (current) await realUpdate({ connection: current, set: { lastError: 'concurrent writer' } });
        }
        return realUpdate(input);
      };
      figures.add('faultsInjected');
      try {
        // Act
        await life.validator.validateRegistration(detail, { remainingMs: plenty, eventId });
      } finally {
        store.updateConnection = realUpdate;
      }
      // Assess
      expect(await store.getConnection(customerId, accountId)).toMatchObject({
        status: 'ACTIVE',
        version: 3,
      });
      const trail = (await store.listAllAudit(customerId)).sort((a, b) => a.version - b.version);
      expect(trail.map((e) => `${e.from}->${e.to}`)).toEqual(['NONE->REGISTERED', 'REGISTERED->ACTIVE']);
      expect(server.answersFor(request.RequestId)).toHaveLength(1);
    });
  });

  describe('the ResponseURL PUT', () => {
    it('retries a failing PUT and delivers the answer once', async () => {
      const { request, detail, eventId } = await registered();
      server.failNext(500, 503, 500);
      figures.add('faultsInjected', 3);
      const outcome = await life.validator.validateRegistration(detail, { remainingMs: plenty, eventId });
      expect(outcome).toMatchObject({ answered: true });
      const puts = server.requests.filter((r) => r.path.includes(request.RequestId));
      expect(puts).toHaveLength(4);
      expect(new Set(puts.map((p) => p.body)).size).toBe(1);
    });

    it('records the verdict and logs and counts an answer that could not be delivered', async () => {
      const { customerId, accountId, detail, eventId } = await registered();
      server.failNext(500, 500, 500, 500);
      figures.add('faultsInjected', 4);
      const outcome = await life.validator.validateRegistration(detail, { remainingMs: plenty, eventId });
      expect(outcome).toMatchObject({ kind: 'validated', answered: false });
      expect(await store.getConnection(customerId, accountId)).toMatchObject({ status: 'ACTIVE' });
      expect(logged('ERROR', /CloudFormation answer not delivered/)).toHaveLength(1);
      expect(life.metricsAdded).toContain('CloudFormationAnswerFailed');
    });

    it('does not hang on a ResponseURL that never answers a refused request: one attempt set, no retry storm', async () => {
      const customerId = uniqueCustomer();
      const accountId = randomAccountId();
      const request = createRequest({
        customerId,
        accountId,
        externalId: 'keyless-forged-00000000000000000000000000000000',
        responseUrl: server.url,
      });
      server.failNext(404);
      figures.add('faultsInjected');
      const outcome = await life.registration.handle(delivery(request));
      expect(outcome).toMatchObject({ kind: 'answered', status: 'FAILED', delivery: { delivered: false } });
      expect(server.requests.filter((r) => r.path.includes(request.RequestId))).toHaveLength(1);
      expect(logged('ERROR', /CloudFormation answer not delivered/)).toHaveLength(1);
      expect(life.metricsAdded).toContain('CloudFormationAnswerFailed');
    });
  });

  describe('EventBridge', () => {
    it('retries entries a partial failure names, publishing Role Registered once', async () => {
      bus.failNextEntries(2, 'ThrottlingException');
      figures.add('faultsInjected', 2);
      const { customerId, accountId } = await registered();
      expect(bus.of(DETAIL_TYPES.roleRegistered, customerId, accountId)).toHaveLength(1);
    });

    it('fails the callback when Role Registered cannot be published, so the redelivery publishes it', async () => {
      // Prepare: every attempt of the first delivery fails.
      const { customerId, accountId, request } = await customerWithSetup(store, server.url);
      bus.failNextEntries(4);
      figures.add('faultsInjected', 4);
      // Act
      await expect(life.registration.handle(delivery(request))).rejects.toThrow(
        /Could not publish Role Registered/,
      );
      await life.registration.handle(delivery(request));
      // Assess: one connection, one audit entry, the event out once the retry ran.
      expect(await store.listAllConnections(customerId)).toHaveLength(1);
      expect(await store.listAllAudit(customerId)).toHaveLength(1);
      expect(bus.of(DETAIL_TYPES.roleRegistered, customerId, accountId)).toHaveLength(1);
    });

    it('keeps a revocation in force when Access Revoked cannot be published, with a log line and a metric', async () => {
      const { customerId, accountId, detail, eventId, request } = await registered();
      await life.validator.validateRegistration(detail, { remainingMs: plenty, eventId });
      bus.failNextEntries(4);
      figures.add('faultsInjected', 4);
      const outcome = await life.revoker.onIntegrationStackDeleted(
        { customerId, accountId, version: 2, correlationId: randomUUID(), stackId: request.StackId },
        randomUUID(),
      );
      expect(outcome.kind).toBe('revoked');
      expect(await store.getConnection(customerId, accountId)).toMatchObject({ status: 'REVOKED' });
      expect(logged('ERROR', /Access Revoked not published/)).toHaveLength(1);
      expect(life.metricsAdded).toContain('EventPublishFailed');
    });

    it('fails a Delete whose Integration Stack Deleted cannot be published after answering it, so the retry revokes', async () => {
      const { customerId, accountId, detail, eventId, request } = await registered();
      await life.validator.validateRegistration(detail, { remainingMs: plenty, eventId });
      const del = followUp('Delete', { ...request, StackId: request.StackId }, server.url);
      bus.failNextEntries(4);
      figures.add('faultsInjected', 4);
      await expect(life.registration.handle(delivery(del))).rejects.toThrow(/Could not publish/);
      await life.registration.handle(delivery(del));
      expect(server.answersFor(del.RequestId).map((a) => a.Status)).toEqual(['SUCCESS', 'SUCCESS']);
      expect(bus.of(DETAIL_TYPES.integrationStackDeleted, customerId, accountId)).toHaveLength(1);
    });
  });

  it('registers nothing for a stack in another account than the role, whatever STS would say', async () => {
    const { customerId, request } = await customerWithSetup(store, server.url, {
      stackId: stackIdFor('123456789012'),
    });
    await life.registration.handle(delivery(request));
    expect(await store.listAllConnections(customerId)).toEqual([]);
  });
});
