/**
 * The operators' reads of the setup API, through the real handler on DynamoDB Local:
 * GET /customers/{customerId}, GET /customers/{customerId}/audit and the bad input they refuse.
 * (GET /migration at scale: test/shared/onboarding/migration-report.test.ts.)
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSetupApiHandler } from '#functions/setup-api/factory.ts';
import type { ApiGatewayEvent } from '#shared/http/request.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { buildLegacyConnection, randomAccountId } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { createContext } from '../../support/lambda-context.ts';
import { activeConnection, openSetup, uniqueCustomer } from '../../support/onboarding.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';

const eventBridge = mockClient(EventBridgeClient);
let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ReturnType<typeof createConnectionStore>;
let handler: ReturnType<typeof createSetupApiHandler>;

beforeAll(async () => {
  table = await createTestTable('keyless-operator-reads');
  handler = createSetupApiHandler(testPlatform({ table }), testConfig('setup-api', table.tableName));
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(() => table.drop());
beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

function apiEvent(method: string, rawPath: string, query?: Record<string, string>): ApiGatewayEvent {
  return {
    rawPath,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: { requestId: 'operator-read', stage: '$default', http: { method } },
  };
}

/** The fields of the answers these tests read. */
interface ReadBody {
  [field: string]: unknown;
  entries: Record<string, unknown>[];
  cursor?: string;
  message?: string;
  issues?: unknown[];
  lastChange: Record<string, unknown>;
}

async function get(path: string, query?: Record<string, string>) {
  const response = await handler(apiEvent('GET', path, query), createContext());
  return { statusCode: response.statusCode, body: JSON.parse(response.body) as ReadBody };
}

/** A customer with two ACTIVE accounts, one of them revoked through the API: 5 audit entries. */
async function customerWithHistory() {
  const first = await activeConnection(store);
  const second = await activeConnection(store, { customerId: first.customerId });
  const revoke = await handler(
    {
      ...apiEvent('POST', `/customers/${first.customerId}/connections/${second.accountId}/revoke`),
      requestContext: { requestId: 'revoke-request-1', stage: '$default', http: { method: 'POST' } },
    },
    createContext(),
  );
  expect(revoke.statusCode).toBe(200);
  return { customerId: first.customerId, first: first.accountId, second: second.accountId };
}

describe('GET /customers/{customerId}/audit', () => {
  it('lists every state change newest first, with time, account, from → to, actor, reason and source', async () => {
    // Prepare
    const { customerId, second } = await customerWithHistory();
    // Act
    const { statusCode, body } = await get(`/customers/${customerId}/audit`);
    // Assess
    expect(statusCode).toBe(200);
    const entries = body.entries as Record<string, unknown>[];
    expect(entries).toHaveLength(5);
    const times = entries.map((e) => String(e.at));
    expect(times).toEqual([...times].sort().reverse());
    expect(entries[0]).toEqual({
      at: expect.any(String),
      accountId: second,
      from: 'ACTIVE',
      to: 'REVOKED',
      actor: 'setup-api',
      reason: expect.stringMatching(/\S/),
      sourceEventId: 'revoke-request-1',
      version: 3,
    });
    expect(entries.at(-1)).toMatchObject({ from: 'NONE', to: 'REGISTERED', version: 1 });
    expect(body.cursor).toBeUndefined();
  });

  it('pages with limit and cursor, losing and repeating nothing', async () => {
    // Prepare
    const { customerId } = await customerWithHistory();
    const everything = (await get(`/customers/${customerId}/audit`)).body.entries as unknown[];
    // Act
    const pages: unknown[][] = [];
    let cursor: string | undefined;
    do {
      const { statusCode, body } = await get(`/customers/${customerId}/audit`, {
        limit: '2',
        ...(cursor ? { cursor } : {}),
      });
      expect(statusCode).toBe(200);
      pages.push(body.entries as unknown[]);
      cursor = body.cursor as string | undefined;
    } while (cursor);
    // Assess
    expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
    expect(pages.flat()).toEqual(everything);
  });

  it('filters by account, across pages', async () => {
    // Prepare
    const { customerId, first, second } = await customerWithHistory();
    // Act
    const seen: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    do {
      const { body } = await get(`/customers/${customerId}/audit`, {
        accountId: second,
        limit: '1',
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...(body.entries as Record<string, unknown>[]));
      cursor = body.cursor as string | undefined;
    } while (cursor);
    const firstOnly = await get(`/customers/${customerId}/audit`, { accountId: first });
    // Assess
    expect(seen.map((e) => `${e.from}→${e.to}`)).toEqual([
      'ACTIVE→REVOKED',
      'REGISTERED→ACTIVE',
      'NONE→REGISTERED',
    ]);
    expect(seen.every((e) => e.accountId === second)).toBe(true);
    expect((firstOnly.body.entries as unknown[]).length).toBe(2);
  });

  it('gives a known customer without changes an empty page, and an unknown customer a 404', async () => {
    // Prepare
    const customerId = uniqueCustomer();
    await openSetup(store, customerId);
    // Act
    const empty = await get(`/customers/${customerId}/audit`);
    const unknown = await get(`/customers/${uniqueCustomer()}/audit`);
    // Assess
    expect(empty).toEqual({ statusCode: 200, body: { entries: [] } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body.message).toMatch(/No customer/);
  });

  it('refuses a cursor of another customer, of the connections list, or made up, as the connections list does', async () => {
    // Prepare
    const mine = await customerWithHistory();
    const other = await customerWithHistory();
    const othersCursor = (await get(`/customers/${other.customerId}/audit`, { limit: '1' })).body
      .cursor as string;
    const connectionsCursor = (await get(`/customers/${mine.customerId}/connections`, { limit: '1' })).body
      .cursor as string;
    const forged = Buffer.from(JSON.stringify({ PK: `CUSTOMER#${mine.customerId}`, SK: 'SETUP#x' })).toString(
      'base64url',
    );
    // Act + Assess
    for (const cursor of [othersCursor, connectionsCursor, forged, 'not-a-cursor', 'x'.repeat(3000)]) {
      const { statusCode, body } = await get(`/customers/${mine.customerId}/audit`, { cursor });
      expect(statusCode, cursor.slice(0, 40)).toBe(400);
      expect(body.issues).toEqual([expect.objectContaining({ path: expect.stringMatching(/cursor/) })]);
    }
  });

  it.each([
    [{ limit: '0' }, 'query.limit'],
    [{ limit: 'abc' }, 'query.limit'],
    [{ limit: '101' }, 'query.limit'],
    [{ accountId: '1234' }, 'query.accountId'],
    [{ acount: '111122223333' }, 'query.acount'],
  ])('answers %o with a 400 naming %s', async (query, field) => {
    // Prepare
    const { customerId } = await customerWithHistory();
    // Act
    const { statusCode, body } = await get(`/customers/${customerId}/audit`, query);
    // Assess
    expect(statusCode).toBe(400);
    expect(body.issues).toEqual([expect.objectContaining({ path: field })]);
  });
});

describe('GET /customers/{customerId}', () => {
  it('counts connections per status, auth method, source, organization and template version, open setups, and shows the last change', async () => {
    // Prepare
    const { customerId, second } = await customerWithHistory();
    await store.createLegacyConnection(buildLegacyConnection({ customerId, accountId: randomAccountId() }), {
      actor: 'legacy-registration',
      reason: 'registered on access keys',
    });
    await openSetup(store, customerId, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    // Act
    const { statusCode, body } = await get(`/customers/${customerId}`);
    // Assess
    expect(statusCode).toBe(200);
    expect(body).toEqual({
      customerId,
      connections: {
        total: 3,
        byStatus: { REGISTERED: 0, ACTIVE: 2, FAILED: 0, BROKEN: 0, REVOKED: 1 },
        byAuthMethod: { ROLE: 2, ACCESS_KEYS: 1 },
        changePending: 0,
        bySource: { cloudformation: 3, api: 0, terraform: 0 },
        byOrganization: {},
        // The role connections, as the sample Create reported its template version.
        byTemplateVersion: { '1': 2 },
      },
      // Two from the role onboardings; the expired one is not open.
      openSetups: 2,
      lastChange: expect.objectContaining({ from: 'NONE', to: 'ACTIVE', actor: 'legacy-registration' }),
    });
    expect(body.lastChange.accountId).not.toBe(second);
  });

  it('answers a customer with only an open setup with zeros and no last change', async () => {
    // Prepare
    const customerId = uniqueCustomer();
    await openSetup(store, customerId);
    // Act
    const { statusCode, body } = await get(`/customers/${customerId}`);
    // Assess
    expect(statusCode).toBe(200);
    expect(body).toEqual({
      customerId,
      connections: {
        total: 0,
        byStatus: { REGISTERED: 0, ACTIVE: 0, FAILED: 0, BROKEN: 0, REVOKED: 0 },
        byAuthMethod: { ROLE: 0, ACCESS_KEYS: 0 },
        changePending: 0,
        bySource: { cloudformation: 0, api: 0, terraform: 0 },
        byOrganization: {},
        byTemplateVersion: {},
      },
      openSetups: 1,
    });
  });

  it('answers an unknown customer 404, a bad id and any query parameter 400 naming the field', async () => {
    expect((await get(`/customers/${uniqueCustomer()}`)).statusCode).toBe(404);
    const badId = await get(`/customers/${encodeURIComponent('no spaces')}`);
    expect(badId.statusCode).toBe(400);
    expect(badId.body.issues).toEqual([expect.objectContaining({ path: 'customerId' })]);
    const extra = await get(`/customers/${uniqueCustomer()}`, { limit: '5' });
    expect(extra.statusCode).toBe(400);
    expect(extra.body.issues).toEqual([expect.objectContaining({ path: 'query.limit' })]);
  });
});
