/**
 * Hostile custom-resource requests (docs/architecture.md §6, invariants 2, 3 and 8): generated Create / Update /
 * Delete requests, direct and SNS-wrapped, each carrying one defect an attacker would try. Every
 * one is answered as it must be (FAILED with a reason, or SUCCESS without effect for a Delete),
 * or — with no ResponseURL Keyless may contact — nothing is sent at all; none writes a record,
 * emits an event, reaches a host outside the allow-list or makes the handler throw.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistrationEvent } from '#shared/cloudformation/request.ts';
import { itemKeys } from '#shared/store/table-definition.ts';
import { randomAccountId } from '../support/builders.ts';
import { createContext } from '../support/lambda-context.ts';
import { activeConnection, openSetup, stackIdFor, uniqueCustomer } from '../support/onboarding.ts';
import { createFigures } from './support/figures.ts';
import { type HostileCase, hostileRequest, snsWrap, type Targets } from './support/hostile.ts';
import { FUZZ_RUNS, FUZZ_SEED } from './support/settings.ts';
import { createWorld, type World } from './support/world.ts';

const eventBridge = mockClient(EventBridgeClient);
const figures = createFigures(import.meta.filename);
/** This file's share of the suite's hostile cases. */
const RUNS = Math.ceil(FUZZ_RUNS * 0.7);

let world: World;
let targets: Targets;
let seededAudit = 0;

beforeAll(async () => {
  world = await createWorld();
  const { store } = world;
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

  const victim = await activeConnection(store);
  const victimSetup = await openSetup(store, victim.customerId);
  const otherId = uniqueCustomer();
  const other = await openSetup(store, otherId);
  const expiredId = uniqueCustomer();
  const expired = await openSetup(store, expiredId, {
    expiresAt: new Date(Date.now() - 60_000).toISOString(),
  });
  const revokedConnection = await activeConnection(store);
  const olderOffer = await openSetup(store, revokedConnection.customerId);
  await store.updateConnection({
    connection: revokedConnection,
    to: 'REVOKED',
    set: { revokedAt: new Date(Date.now() + 1).toISOString() },
    audit: { actor: 'test', reason: 'revoked for the test' },
  });
  // A registration that failed validation, its setup expired since.
  const failedId = uniqueCustomer();
  const failedSetup = await openSetup(store, failedId);
  const failedAccount = randomAccountId();
  const failedStack = stackIdFor(failedAccount);
  const failedConnection = await store.registerConnection({
    connection: {
      customerId: failedId,
      accountId: failedAccount,
      authMethod: 'ROLE',
      status: 'REGISTERED',
      version: 1,
      roleArn: `arn:aws:iam::${failedAccount}:role/KeylessAccess`,
      externalId: failedSetup.externalId,
      stackId: failedStack,
      setupId: failedSetup.setupId,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    },
    setup: failedSetup,
    audit: { actor: 'test', reason: 'registered for the test' },
  });
  await store.updateConnection({
    connection: failedConnection,
    to: 'FAILED',
    set: { lastError: 'AccessDenied' },
    audit: { actor: 'test', reason: 'failed for the test' },
  });
  await world.table.documentClient.send(
    new UpdateCommand({
      TableName: world.table.tableName,
      Key: itemKeys.setup(failedId, failedSetup.setupId),
      UpdateExpression: 'SET expiresAt = :past',
      ExpressionAttributeValues: { ':past': new Date(Date.now() - 60_000).toISOString() },
    }),
  );
  targets = {
    victim: {
      customerId: victim.customerId,
      accountId: victim.accountId,
      stackId: victim.stackId,
      externalId: victim.externalId,
      openExternalId: victimSetup.externalId,
    },
    other: { customerId: otherId, externalId: other.externalId },
    expired: { customerId: expiredId, externalId: expired.externalId },
    revoked: {
      customerId: revokedConnection.customerId,
      accountId: revokedConnection.accountId,
      stackId: revokedConnection.stackId,
      externalId: revokedConnection.externalId,
      olderOfferExternalId: olderOffer.externalId,
    },
    failed: {
      customerId: failedId,
      accountId: failedAccount,
      stackId: failedStack,
      externalId: failedSetup.externalId,
    },
  };
  for (const customerId of [victim.customerId, revokedConnection.customerId, failedId]) {
    seededAudit += (await store.listAllAudit(customerId)).length;
  }
});

afterAll(async () => {
  figures.write();
  await world.close();
});

async function deliver(hostile: HostileCase, index: number) {
  const event = hostile.viaSns ? snsWrap(hostile.request, `hostile-${index}`) : hostile.request;
  return world.handlers.callback(event as RegistrationEvent, createContext());
}

describe('registration callback under hostile input', () => {
  it(
    `answers ${RUNS} generated hostile requests correctly, with no record, event, forbidden request or crash`,
    async () => {
      let index = 0;
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(hostileRequest(targets, world.recorder.url), async (hostile) => {
          // Prepare
          index++;
          world.outbound.reset();
          world.writes.length = 0;
          eventBridge.resetHistory();
          seen.set(hostile.defect, (seen.get(hostile.defect) ?? 0) + 1);
          // Act: the handler must not throw, whatever arrives.
          const result = await deliver(hostile, index);
          // Assess
          figures.add('hostileCases');
          const answers = world.outbound.answers();
          figures.add('outboundObserved', world.outbound.wire.length);
          figures.add('forbiddenOutbound', world.outbound.forbidden().length);
          if (hostile.expectation !== 'silent' && answers.length === 0) figures.add('unansweredRequests');
          expect(world.outbound.forbidden()).toEqual([]);
          expect(world.writes).toEqual([]);
          expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
          if (hostile.expectation === 'silent') {
            expect(result.outcomes).toEqual(['ignored']);
            expect(world.outbound.requests).toEqual([]);
            return;
          }
          expect(answers).toHaveLength(1);
          const [answer] = answers;
          const put = world.outbound.requests[0]!;
          expect(put.method).toBe('PUT');
          expect(put.contentType).toBe('');
          expect(Buffer.byteLength(put.body, 'utf8')).toBeLessThanOrEqual(4096);
          expect(answer).toMatchObject({
            Status: hostile.expectation === 'failed' ? 'FAILED' : 'SUCCESS',
            StackId: hostile.request.StackId,
            RequestId: hostile.request.RequestId,
            LogicalResourceId: hostile.request.LogicalResourceId,
            PhysicalResourceId: expect.stringMatching(/^.{1,1024}$/s),
          });
          if (hostile.expectation === 'failed') expect(answer?.Reason).toMatch(/\S/);
          const physical = hostile.request.PhysicalResourceId;
          if (typeof physical === 'string') expect(answer?.PhysicalResourceId).toBe(physical);
        }),
        { numRuns: RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
      );
      // Every kind of defect was tried, many times.
      expect(seen.size).toBeGreaterThanOrEqual(15);
      // Nothing changed in the table: the seeded connections are as they were, no other appeared.
      const { victim, revoked, failed } = targets;
      expect(await world.store.getConnection(victim.customerId, victim.accountId)).toMatchObject({
        status: 'ACTIVE',
        version: 2,
      });
      expect(await world.store.getConnection(revoked.customerId, revoked.accountId)).toMatchObject({
        status: 'REVOKED',
        version: 3,
      });
      expect(await world.store.getConnection(failed.customerId, failed.accountId)).toMatchObject({
        status: 'FAILED',
        version: 2,
      });
      let audit = 0;
      for (const customerId of [
        victim.customerId,
        revoked.customerId,
        failed.customerId,
        targets.other.customerId,
      ]) {
        audit += (await world.store.listAllAudit(customerId)).length;
        expect(await world.store.listAllConnections(customerId)).toHaveLength(
          customerId === targets.other.customerId ? 0 : 1,
        );
      }
      expect(audit).toBe(seededAudit);
    },
    Math.max(60_000, RUNS * 25),
  );

  it('sees the writes and the answer of a genuine registration (the instruments above can fail)', async () => {
    // Prepare: the other customer's own stack, with its open External ID.
    world.writes.length = 0;
    const accountId = '210987654321';
    const request = {
      RequestType: 'Create',
      ResponseURL: world.recorder.url('genuine-1'),
      StackId: stackIdFor(accountId),
      RequestId: 'genuine-1',
      LogicalResourceId: 'KeylessRegistration',
      ResourceProperties: {
        CustomerId: targets.other.customerId,
        ExternalId: targets.other.externalId,
        RoleArn: `arn:aws:iam::${accountId}:role/KeylessAccess`,
      },
    };
    // Act
    const result = await world.handlers.callback(request as RegistrationEvent, createContext());
    // Assess
    expect(result.outcomes).toEqual(['pending']);
    expect(world.writes.length).toBeGreaterThan(0);
    expect(eventBridge.commandCalls(PutEventsCommand).length).toBeGreaterThan(0);
  });

  it('refuses a look-alike stack of another account that points at the victim connection', async () => {
    // Prepare: an attacker's own stack, with the victim's customer id and open External ID
    // but a role in the attacker's account that differs from the stack's.
    const attackerAccount = '123456789012';
    world.outbound.reset();
    const request = {
      RequestType: 'Create',
      ResponseURL: world.recorder.url('attacker-1'),
      StackId: stackIdFor(attackerAccount),
      RequestId: 'attacker-1',
      LogicalResourceId: 'KeylessRegistration',
      ResourceProperties: {
        CustomerId: targets.victim.customerId,
        ExternalId: targets.victim.openExternalId,
        RoleArn: `arn:aws:iam::${targets.victim.accountId}:role/KeylessAccess`,
      },
    };
    // Act
    await world.handlers.callback(request as RegistrationEvent, createContext());
    // Assess
    expect(world.outbound.answersFor('attacker-1')).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Reason: expect.stringMatching(/not in this stack's account/),
      }),
    ]);
    expect(await world.store.getConnection(targets.victim.customerId, attackerAccount)).toBeUndefined();
  });
});
