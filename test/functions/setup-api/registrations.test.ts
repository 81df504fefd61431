/**
 * POST /setups/{setupId}/registrations (docs/architecture.md §9.6): a role built with any tool,
 * bound by the setup; a changed role is proven before it replaces the proven one, an unchanged one
 * is a no-op, and a connection made through a stack cannot be changed this way.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSetupApiHandler } from '#functions/setup-api/factory.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { loadEvent, type Sample } from '../../support/events.ts';
import { createContext } from '../../support/lambda-context.ts';
import { activeConnection, openSetup, publishedEvents, uniqueCustomer } from '../../support/onboarding.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';

const eventBridge = mockClient(EventBridgeClient);
let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ReturnType<typeof createConnectionStore>;
let handler: ReturnType<typeof createSetupApiHandler>;

beforeAll(async () => {
  table = await createTestTable();
  handler = createSetupApiHandler(testPlatform({ table }), testConfig('setup-api', table.tableName));
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(() => table.drop());
beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

async function register(setupId: string, body: unknown) {
  const base: Sample<'api/post-setups'> = loadEvent('api/post-setups');
  const response = await handler(
    { ...base, rawPath: `/setups/${setupId}/registrations`, body: JSON.stringify(body) },
    createContext(),
  );
  return { statusCode: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
}

/** A proven connection registered by API: no stack. */
async function apiConnection() {
  const active = await activeConnection(store, { customerId: uniqueCustomer() });
  const { stackId: _stack, ...rest } = active;
  void _stack;
  const updated = await store.updateConnection({
    connection: active,
    set: { source: 'api' },
    remove: ['stackId'],
  });
  return { ...rest, ...updated } as typeof rest & { version: number };
}

describe('POST /setups/{setupId}/registrations', () => {
  it('records a new role as REGISTERED through the setup, with the source and no stack', async () => {
    const customerId = uniqueCustomer();
    const setup = await openSetup(store, customerId);
    const roleArn = 'arn:aws:iam::242424242424:role/KeylessAccess';
    expect(await register(setup.setupId, { roleArn })).toEqual({
      statusCode: 202,
      body: { setupId: setup.setupId, accountId: '242424242424', status: 'REGISTERED' },
    });
    const stored = await store.getConnection(customerId, '242424242424');
    expect(stored).toMatchObject({
      status: 'REGISTERED',
      source: 'api',
      roleArn,
      externalId: setup.externalId,
    });
    expect(stored).not.toHaveProperty('stackId');
    expect(publishedEvents(eventBridge)[0]?.detail).toMatchObject({ reason: 'create', roleArn });
  });

  it('proves a changed role before it replaces the proven one, and takes the same role as a no-op', async () => {
    // Through the setup it was registered with: the same External ID.
    const connection = await apiConnection();
    const setupId = connection.setupId!;
    const same = await register(setupId, { roleArn: connection.roleArn });
    expect(same).toMatchObject({ statusCode: 200, body: { status: 'ACTIVE' } });
    const newRole = `arn:aws:iam::${connection.accountId}:role/KeylessAccessV2`;
    expect(await register(setupId, { roleArn: newRole })).toMatchObject({ statusCode: 202 });
    expect(await store.getConnection(connection.customerId, connection.accountId)).toMatchObject({
      status: 'ACTIVE',
      roleArn: connection.roleArn,
      pendingRoleArn: newRole,
    });
  });

  it('refuses to change a connection made through a stack, naming the stack', async () => {
    const active = await activeConnection(store, { customerId: uniqueCustomer() });
    const setup = await openSetup(store, active.customerId);
    const refused = await register(setup.setupId, {
      roleArn: `arn:aws:iam::${active.accountId}:role/KeylessOther`,
    });
    expect(refused.statusCode).toBe(409);
    expect(String(refused.body.message)).toContain(`connected through stack ${active.stackId}`);
  });

  it('refuses an expired setup and answers an unknown one 404, recording nothing', async () => {
    const customerId = uniqueCustomer();
    const expired = await openSetup(store, customerId, {
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-08T00:00:00.000Z',
    });
    const refused = await register(expired.setupId, {
      roleArn: 'arn:aws:iam::252525252525:role/KeylessAccess',
    });
    expect(refused.statusCode).toBe(409);
    expect(String(refused.body.message)).toMatch(/expired/);
    expect(
      (
        await register('00000000-0000-4000-8000-000000000000', {
          roleArn: 'arn:aws:iam::252525252525:role/KeylessAccess',
        })
      ).statusCode,
    ).toBe(404);
    expect(await store.getConnection(customerId, '252525252525')).toBeUndefined();
  });
});
