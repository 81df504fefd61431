import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSetupApiHandler } from '#functions/setup-api/factory.ts';
import { buildCustomerTemplate } from '#shared/customer-template/template.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { SETUP_IDEMPOTENCY_PARTITION } from '#shared/store/table-definition.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { loadEvent, type Sample } from '../../support/events.ts';
import { createContext } from '../../support/lambda-context.ts';
import { activeConnection, uniqueCustomer } from '../../support/onboarding.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';

const eventBridge = mockClient(EventBridgeClient);
const TEMPLATE_URL = 'https://keyless-templates.s3.us-east-1.amazonaws.com/customer/v1.json';
let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ReturnType<typeof createConnectionStore>;
let handler: ReturnType<typeof createSetupApiHandler>;

beforeAll(async () => {
  table = await createTestTable();
  handler = createSetupApiHandler(
    testPlatform({ table }),
    testConfig('setup-api', table.tableName, {
      TEMPLATE_URL,
      REGISTRATION_TOPIC_ARNS: JSON.stringify({
        'us-east-1': 'arn:aws:sns:us-east-1:999988887777:keyless-prod-registrations',
        'eu-west-1': 'arn:aws:sns:eu-west-1:999988887777:keyless-prod-registrations',
      }),
    }),
  );
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(() => table.drop());
beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

type ApiEvent = Sample<'api/post-setups'>;
const request = (base: ApiEvent, method: string, path: string, body?: unknown): ApiEvent => ({
  ...base,
  rawPath: path,
  requestContext: { ...base.requestContext, http: { ...base.requestContext.http, method } },
  ...(body === undefined
    ? { body: undefined }
    : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
});
async function call(event: ApiEvent) {
  const response = await handler(event, createContext());
  return { statusCode: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
}

describe('setup-api handler', () => {
  describe('POST /setups', () => {
    it('issues an External ID and a quick-create link with every parameter pre-filled', async () => {
      // Act
      const { statusCode, body } = await call(loadEvent('api/post-setups'));
      // Assess
      expect(statusCode).toBe(201);
      expect(body).toMatchObject({
        setupId: expect.any(String),
        externalId: expect.stringMatching(/^keyless-acme-corp-[0-9a-f]{32}$/),
        templateUrl: TEMPLATE_URL,
        stackName: 'keyless-acme-corp',
        expiresAt: expect.any(String),
      });
      const launch = new URL(String(body.launchUrl));
      expect(launch.origin).toBe('https://us-east-1.console.aws.amazon.com');
      expect(launch.pathname).toBe('/cloudformation/home');
      expect(launch.searchParams.get('region')).toBe('us-east-1');
      const [route, query] = launch.hash.slice(1).split('?');
      // The form the CloudFormation user guide documents for quick-create links.
      expect(route).toBe('/stacks/create/review');
      const params = new URLSearchParams(query);
      expect(Object.fromEntries(params)).toEqual({
        templateURL: TEMPLATE_URL,
        stackName: 'keyless-acme-corp',
        param_ExternalId: body.externalId,
        param_CustomerId: 'acme-corp',
        param_SetupPhase: 'true',
      });
      expect(query).toContain(`templateURL=${encodeURIComponent(TEMPLATE_URL)}`);
      const stored = await store.getSetup('acme-corp', String(body.setupId));
      expect(stored).toMatchObject({ status: 'OPEN', externalId: body.externalId });
    });

    it('pre-fills only parameters the generated customer template declares, each within its constraints', async () => {
      // Prepare: the template the stack publishes, built from the same generator
      const { Parameters } = buildCustomerTemplate({
        providerAccountId: '999988887777',
        stage: 'prod',
        regions: ['us-east-1', 'eu-west-1'],
      });
      // Act
      const { body } = await call(
        request(loadEvent('api/post-setups'), 'POST', '/setups', {
          customerId: 'Acme_Corp.EU',
          setupPhase: false,
        }),
      );
      // Assess: a name the template does not declare would be silently ignored by the console
      const query = new URLSearchParams(new URL(String(body.launchUrl)).hash.split('?')[1]);
      const prefilled = [...query.keys()].filter((k) => k.startsWith('param_'));
      expect(prefilled.length).toBeGreaterThan(0);
      for (const key of prefilled) {
        const parameter = Parameters[key.slice('param_'.length)];
        expect(parameter, key).toBeDefined();
        const value = query.get(key)!;
        if (parameter?.AllowedPattern)
          expect(new RegExp(`^(?:${parameter.AllowedPattern})$`).test(value), key).toBe(true);
        if (parameter?.AllowedValues) expect(parameter.AllowedValues, key).toContain(value);
      }
      expect(query.get('stackName')).toMatch(/^[A-Za-z][A-Za-z0-9-]{0,127}$/);
    });

    it.each([
      ['a missing customerId', { region: 'us-east-1' }, 'customerId', /is required/],
      ['a customerId with a #', { customerId: 'acme#1' }, 'customerId', /must be 1–128 letters, digits/],
      ['a numeric setupPhase', { customerId: 'acme', setupPhase: 1 }, 'setupPhase', /true or false/],
      ['an unknown field', { customerId: 'acme', admin: true }, 'admin', /.+/],
      ['a region without a topic', { customerId: 'acme', region: 'ap-south-2' }, 'region', /must be one of/],
    ])('answers 400 naming the field for %s', async (_what, input, field, message) => {
      const { statusCode, body } = await call(
        request(loadEvent('api/post-setups'), 'POST', '/setups', input),
      );
      expect(statusCode).toBe(400);
      expect(body.issues).toEqual(
        expect.arrayContaining([{ path: field, message: expect.stringMatching(message) }]),
      );
    });

    describe('with an Idempotency-Key', () => {
      const keyed = (customerId: string, key: string, extra: Record<string, unknown> = {}) => ({
        ...request(loadEvent('api/post-setups'), 'POST', '/setups', { customerId, ...extra }),
        headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
      });

      it('answers a retried call with the first offer and issues no second External ID', async () => {
        // Prepare
        const customerId = uniqueCustomer();
        const key = randomUUID();
        // Act
        const first = await call(keyed(customerId, key));
        const retry = await call(keyed(customerId, key));
        // Assess
        expect(first.statusCode).toBe(201);
        expect(retry).toEqual(first);
        expect(await store.listOpenSetups(customerId)).toHaveLength(1);
        // The record: in its own partition, expiring through the table's TTL, out of the status index
        const { Items = [] } = await table.documentClient.send(
          new QueryCommand({
            TableName: table.tableName,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': SETUP_IDEMPOTENCY_PARTITION },
          }),
        );
        const record = Items.find((item) =>
          JSON.stringify(item.data ?? {}).includes(String(first.body.setupId)),
        );
        expect(record).toMatchObject({ idempotencyStatus: 'COMPLETED', ttl: expect.any(Number) });
        expect(record).not.toHaveProperty('status');
      });

      it('issues separate offers for the same key from different customers, and for calls without a key', async () => {
        const key = randomUUID();
        const a = await call(keyed(uniqueCustomer(), key));
        const b = await call(keyed(uniqueCustomer(), key));
        const customerId = uniqueCustomer();
        const plain = () => call(request(loadEvent('api/post-setups'), 'POST', '/setups', { customerId }));
        const [c, d] = [await plain(), await plain()];
        expect(a.body.externalId).not.toBe(b.body.externalId);
        expect(c.body.externalId).not.toBe(d.body.externalId);
        expect(await store.listOpenSetups(customerId)).toHaveLength(2);
      });

      it('answers 422 when the key is reused with another body, issuing nothing', async () => {
        const customerId = uniqueCustomer();
        const key = randomUUID();
        await call(keyed(customerId, key, { setupPhase: true }));
        const reused = await call(keyed(customerId, key, { setupPhase: false }));
        expect(reused.statusCode).toBe(422);
        expect(reused.body.message).toMatch(/Idempotency-Key was already used with a different request body/);
        expect(await store.listOpenSetups(customerId)).toHaveLength(1);
      });

      it('answers 400 naming the header for a malformed key, and writes no record for a refused region', async () => {
        const customerId = uniqueCustomer();
        const tooLong = await call(keyed(customerId, 'k'.repeat(129)));
        expect(tooLong.statusCode).toBe(400);
        expect(tooLong.body.issues).toEqual([
          { path: 'header.idempotency-key', message: expect.stringMatching(/at most 128/) },
        ]);
        const key = randomUUID();
        const refused = await call(keyed(customerId, key, { region: 'ap-south-2' }));
        const served = await call(keyed(customerId, key, { region: 'eu-west-1' }));
        expect(refused.statusCode).toBe(400);
        expect(served.statusCode).toBe(201);
      });
    });

    it('answers 400 to a body that is not JSON', async () => {
      const { statusCode, body } = await call(
        request(loadEvent('api/post-setups'), 'POST', '/setups', '{nope'),
      );
      expect(statusCode).toBe(400);
      expect(body.message).toMatch(/JSON/);
    });
  });

  describe('connections', () => {
    it('lists a customer’s connections without External IDs or pre-signed URLs', async () => {
      const active = await activeConnection(store, { customerId: uniqueCustomer() });
      const event = request(
        loadEvent('api/get-connections'),
        'GET',
        `/customers/${active.customerId}/connections`,
      );
      const { statusCode, body } = await call(event);
      expect(statusCode).toBe(200);
      expect(body.connections).toEqual([
        expect.objectContaining({
          accountId: active.accountId,
          roleArn: active.roleArn,
          status: 'ACTIVE',
          validatedAt: expect.any(String),
        }),
      ]);
      expect(JSON.stringify(body)).not.toContain(active.externalId);
    });

    it('revokes a connection by hand and says so; a repeat changes nothing', async () => {
      const active = await activeConnection(store, { customerId: uniqueCustomer() });
      const path = `/customers/${active.customerId}/connections/${active.accountId}/revoke`;
      const first = await call(request(loadEvent('api/post-revoke'), 'POST', path));
      const second = await call(request(loadEvent('api/post-revoke'), 'POST', path));
      expect(first).toMatchObject({
        statusCode: 200,
        body: { revoked: true, connection: { status: 'REVOKED' } },
      });
      expect(second).toMatchObject({ statusCode: 200, body: { revoked: false } });
      expect((await store.getConnection(active.customerId, active.accountId))?.status).toBe('REVOKED');
    });

    it('revokes every connection proven a member of an organization, and only those', async () => {
      const customerId = uniqueCustomer();
      const organizationId = 'o-handler0001';
      const members = await Promise.all([1, 2].map(() => activeConnection(store, { customerId })));
      for (const member of members)
        await store.updateConnection({
          connection: member,
          to: 'ACTIVE',
          set: { organizationId },
          audit: { actor: 'test', reason: 'test' },
        });
      const outsider = await activeConnection(store, { customerId });
      const path = `/customers/${customerId}/organizations/${organizationId}/revoke`;
      const first = await call(request(loadEvent('api/post-revoke'), 'POST', path));
      const second = await call(request(loadEvent('api/post-revoke'), 'POST', path));
      const unknown = await call(
        request(
          loadEvent('api/post-revoke'),
          'POST',
          `/customers/${customerId}/organizations/o-nobody00001/revoke`,
        ),
      );
      expect(first).toMatchObject({ statusCode: 200, body: { organizationId, revoked: 2, members: 2 } });
      expect([...(first.body.accountIds as string[])].sort()).toEqual(members.map((m) => m.accountId).sort());
      expect(second).toMatchObject({ statusCode: 200, body: { revoked: 0, accountIds: [] } });
      expect(unknown.statusCode).toBe(404);
      for (const member of members)
        expect((await store.getConnection(customerId, member.accountId))?.status).toBe('REVOKED');
      expect((await store.getConnection(customerId, outsider.accountId))?.status).toBe('ACTIVE');
    });

    it('issues a rotation setup bound to the account with a link to update the stack', async () => {
      const active = await activeConnection(store, { customerId: uniqueCustomer() });
      const path = `/customers/${active.customerId}/connections/${active.accountId}/rotate`;
      const { statusCode, body } = await call(request(loadEvent('api/post-rotate'), 'POST', path));
      expect(statusCode).toBe(201);
      expect(body).toMatchObject({ stackId: active.stackId, parameters: { ExternalId: body.externalId } });
      expect(String(body.updateUrl)).toMatch(
        /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudformation\/home\?region=us-east-1#\/stacks\/update\?stackId=/,
      );
      expect(await store.getSetup(active.customerId, String(body.setupId))).toMatchObject({
        rotatesAccountId: active.accountId,
      });
    });

    it('answers 404 for an unknown connection and 400 for a malformed account id', async () => {
      const notFound = await call(
        request(loadEvent('api/post-revoke'), 'POST', '/customers/nobody/connections/123456789012/revoke'),
      );
      const malformed = await call(
        request(loadEvent('api/post-revoke'), 'POST', '/customers/nobody/connections/12/revoke'),
      );
      expect(notFound.statusCode).toBe(404);
      expect(malformed).toMatchObject({ statusCode: 400, body: { issues: [{ path: 'accountId' }] } });
    });
  });

  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    const unknown = await call(request(loadEvent('api/get-connections'), 'GET', '/nothing-here'));
    const wrongMethod = await call(request(loadEvent('api/get-connections'), 'DELETE', '/setups'));
    expect(unknown.statusCode).toBe(404);
    expect(wrongMethod.statusCode).toBe(405);
  });

  it('answers 500 without internals when the store fails', async () => {
    // Prepare: DynamoDB failing on demand is a branch the real database cannot produce.
    const dynamo = mockClient(DynamoDBDocumentClient);
    dynamo.onAnyCommand().rejects(new Error('ProvisionedThroughputExceededException at store.ts:1'));
    try {
      // Act
      const { statusCode, body } = await call({
        ...loadEvent('api/get-connections'),
        rawPath: '/customers/acme/connections',
      });
      // Assess
      expect(statusCode).toBe(500);
      expect(Object.keys(body).sort()).toEqual(['message', 'requestId']);
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts|Exception/);
    } finally {
      dynamo.restore();
    }
  });
});
