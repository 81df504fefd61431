import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRevocationHandler } from '#functions/revocation/factory.ts';
import { matchesEventPattern } from '#local/emulator/event-pattern.ts';
import { DETAIL_TYPES } from '#shared/events/catalog.ts';
import { RULES } from '#shared/events/rules.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { loadEvent } from '../../support/events.ts';
import { createContext } from '../../support/lambda-context.ts';
import { activeConnection, publishedEvents, stackIdFor } from '../../support/onboarding.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';
import { startResponseServer } from '../../support/response-server.ts';

const eventBridge = mockClient(EventBridgeClient);
let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ReturnType<typeof createConnectionStore>;
let handler: ReturnType<typeof createRevocationHandler>;
let responses: Awaited<ReturnType<typeof startResponseServer>>;

beforeAll(async () => {
  table = await createTestTable();
  responses = await startResponseServer();
  handler = createRevocationHandler(
    testPlatform({ table, responseOrigin: responses.origin }),
    testConfig('revocation', table.tableName),
  );
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(async () => {
  await responses.close();
  await table.drop();
});
beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

function stackDeleted(active: Awaited<ReturnType<typeof activeConnection>>, stackId = active.stackId) {
  const sample = loadEvent('eventbridge/integration-stack-deleted');
  return {
    ...sample,
    detail: { ...sample.detail, customerId: active.customerId, accountId: active.accountId, stackId },
  };
}

function statusChange(stackId: string, account: string, status = 'DELETE_COMPLETE') {
  const sample = loadEvent('eventbridge/stack-status-change');
  return {
    ...sample,
    account,
    resources: [stackId],
    detail: { ...sample.detail, 'stack-id': stackId, 'status-details': { status } },
  };
}

describe('revocation handler', () => {
  it('revokes on Integration Stack Deleted with one audit entry and emits Access Revoked', async () => {
    const active = await activeConnection(store);
    const result = await handler(stackDeleted(active), createContext());
    expect(result).toEqual({ outcome: 'revoked' });
    expect(await store.getConnection(active.customerId, active.accountId)).toMatchObject({
      status: 'REVOKED',
      version: active.version + 1,
    });
    const trail = await store.listAllAudit(active.customerId);
    expect(trail.at(-1)).toMatchObject({ from: 'ACTIVE', to: 'REVOKED', actor: 'revocation' });
    expect(publishedEvents(eventBridge)).toEqual([
      {
        detailType: DETAIL_TYPES.accessRevoked,
        detail: expect.objectContaining({ customerId: active.customerId }),
      },
    ]);
  });

  it('leaves no candidate values on the revoked connection, a pending rotation’s setup included', async () => {
    // Prepare: a rotation recorded and not yet proven
    const active = await activeConnection(store);
    await store.updateConnection({
      connection: active,
      set: {
        pendingRoleArn: `arn:aws:iam::${active.accountId}:role/KeylessAccessV2`,
        pendingExternalId: `keyless-${active.customerId}-rotated`,
        pendingSetupId: 'setup-rotation',
      },
    });
    // Act
    await handler(stackDeleted(active), createContext());
    // Assess
    const stored = await store.getConnection(active.customerId, active.accountId);
    expect(stored?.status).toBe('REVOKED');
    for (const field of ['pendingAnswer', 'pendingRoleArn', 'pendingExternalId', 'pendingSetupId']) {
      expect(stored).not.toHaveProperty(field);
    }
  });

  it('answers FAILED at once a CloudFormation request still waiting for validation', async () => {
    // Prepare: a role change is pending validation when the stack goes away.
    const active = await activeConnection(store);
    const requestId = 'update-pending-at-deletion';
    await store.updateConnection({
      connection: active,
      set: {
        pendingRoleArn: `arn:aws:iam::${active.accountId}:role/KeylessAccessV2`,
        pendingAnswer: {
          responseUrl: responses.url(requestId),
          requestId,
          requestType: 'Update',
          logicalResourceId: 'KeylessRegistration',
          stackId: active.stackId,
          physicalResourceId: `keyless-${active.customerId}-${active.accountId}`,
          deadline: Date.now() + 600_000,
        },
      },
    });
    // Act: the deletion, delivered twice.
    await handler(stackDeleted(active), createContext());
    await handler(stackDeleted(active), createContext());
    // Assess: exactly one answer, FAILED with the reason, and the request remembered as answered.
    expect(responses.answersFor(requestId)).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        RequestId: requestId,
        Reason: expect.stringMatching(/revoked \(integration stack deleted\) before the role was validated/),
      }),
    ]);
    const revoked = await store.getConnection(active.customerId, active.accountId);
    expect(revoked).toMatchObject({ status: 'REVOKED', answeredRequestIds: [requestId] });
    expect(revoked).not.toHaveProperty('pendingAnswer');
  });

  it('changes nothing on a repeat of the same event', async () => {
    const active = await activeConnection(store);
    await handler(stackDeleted(active), createContext());
    eventBridge.resetHistory();
    const again = await handler(stackDeleted(active), createContext());
    expect(again).toEqual({ outcome: 'unchanged' });
    expect(await store.listAllAudit(active.customerId)).toHaveLength(3);
    expect(publishedEvents(eventBridge)).toEqual([]);
  });

  it('revokes on a forwarded DELETE_COMPLETE stack status change of the registering stack', async () => {
    const active = await activeConnection(store);
    const result = await handler(statusChange(active.stackId, active.accountId), createContext());
    expect(result).toEqual({ outcome: 'revoked' });
    expect((await store.getConnection(active.customerId, active.accountId))?.status).toBe('REVOKED');
  });

  it.each([
    ['an unknown stack', (a: { accountId: string }) => statusChange(stackIdFor(a.accountId), a.accountId)],
    [
      'a stack sent from another account',
      (a: { stackId: string }) => statusChange(a.stackId, '999999999999'),
    ],
    [
      'a status that is not a deletion',
      (a: { stackId: string; accountId: string }) => statusChange(a.stackId, a.accountId, 'UPDATE_COMPLETE'),
    ],
  ])('changes nothing for %s', async (_what, build) => {
    const active = await activeConnection(store);
    const result = await handler(build(active), createContext());
    expect(result).toEqual({ outcome: 'unchanged' });
    expect((await store.getConnection(active.customerId, active.accountId))?.status).toBe('ACTIVE');
  });

  it('routes both event kinds through the one shared rule pattern', () => {
    const pattern = RULES.stackDeleted.pattern;
    expect(matchesEventPattern(pattern, loadEvent('eventbridge/integration-stack-deleted'))).toBe(true);
    expect(matchesEventPattern(pattern, loadEvent('eventbridge/stack-status-change'))).toBe(true);
  });
});
