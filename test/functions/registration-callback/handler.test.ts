import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRegistrationCallbackHandler } from '#functions/registration-callback/factory.ts';
import type { CustomResourceRequest } from '#shared/cloudformation/request.ts';
import type { RoleConnection } from '#shared/domain/connection.ts';
import { DETAIL_TYPES } from '#shared/events/catalog.ts';
import { DEFAULT_ANSWER_WINDOW_MS } from '#shared/onboarding/answer-deadline.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { randomAccountId } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { loadEvent } from '../../support/events.ts';
import { createContext } from '../../support/lambda-context.ts';
import {
  activeConnection,
  createRequest,
  customerWithSetup,
  followUp,
  legacyMigration,
  openSetup,
  publishedEvents,
  stackIdFor,
} from '../../support/onboarding.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';
import { startResponseServer } from '../../support/response-server.ts';

const eventBridge = mockClient(EventBridgeClient);
let table: Awaited<ReturnType<typeof createTestTable>>;
let server: Awaited<ReturnType<typeof startResponseServer>>;
let store: ReturnType<typeof createConnectionStore>;
let handler: ReturnType<typeof createRegistrationCallbackHandler>;

beforeAll(async () => {
  table = await createTestTable();
  server = await startResponseServer();
  handler = createRegistrationCallbackHandler(
    testPlatform({ table, responseOrigin: server.origin }),
    testConfig('registration-callback', table.tableName),
  );
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(async () => {
  await server.close();
  await table.drop();
});
beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

const invoke = (event: unknown) => handler(event as CustomResourceRequest, createContext());

/** A new customer, with an open setup and their stack's Create answered to the local server. */
const newCustomer = (options: Parameters<typeof customerWithSetup>[2] = {}) =>
  customerWithSetup(store, server.url, options);

/** The Create that registered `active`, from its own stack unless `stackId` says otherwise. */
const createOf = (active: RoleConnection, overrides: Partial<Parameters<typeof createRequest>[0]> = {}) =>
  createRequest({
    customerId: active.customerId,
    accountId: active.accountId,
    externalId: active.externalId,
    responseUrl: server.url,
    stackId: active.stackId,
    ...overrides,
  });

describe('registration-callback handler', () => {
  describe('Create', () => {
    it('records REGISTERED with the pending answer from an SNS-wrapped request and answers nothing yet', async () => {
      // Prepare: the SNS sample, pointed at this customer's setup and the local ResponseURL
      const { customerId, accountId, setup, request } = await newCustomer();
      const sample = loadEvent('sns/custom-resource-create');
      const event = {
        ...sample,
        Records: sample.Records.map((r) => ({ ...r, Sns: { ...r.Sns, Message: JSON.stringify(request) } })),
      };
      // Act
      const result = await invoke(event);
      // Assess
      expect(result).toEqual({ outcomes: ['pending'] });
      const stored = await store.getConnection(customerId, accountId);
      expect(stored).toMatchObject({
        status: 'REGISTERED',
        authMethod: 'ROLE',
        roleArn: `arn:aws:iam::${accountId}:role/KeylessAccess`,
        stackId: request.StackId,
        pendingAnswer: {
          requestId: request.RequestId,
          responseUrl: request.ResponseURL,
          logicalResourceId: 'KeylessRegistration',
          physicalResourceId: `keyless-${customerId}-${accountId}`,
          requestType: 'Create',
        },
      });
      expect(server.answersFor(request.RequestId)).toEqual([]);
      expect(publishedEvents(eventBridge)).toEqual([
        {
          detailType: DETAIL_TYPES.roleRegistered,
          detail: expect.objectContaining({
            customerId,
            accountId,
            version: 1,
            correlationId: request.RequestId,
            reason: 'create',
          }),
        },
      ]);
      expect((await store.getSetup(customerId, setup.setupId))?.status).toBe('USED');
    });

    it('treats a redelivered request as a duplicate: one connection, one audit entry, no answer', async () => {
      const { customerId, accountId, request } = await newCustomer();
      await invoke(request);
      await invoke(request);
      expect((await store.getConnection(customerId, accountId))?.version).toBe(1);
      expect(await store.listAllAudit(customerId)).toHaveLength(1);
      expect(server.answersFor(request.RequestId)).toEqual([]);
    });

    it.each([
      ['the template’s ServiceTimeout', '300', 270_000],
      ['the default ServiceTimeout', '900', 840_000],
      ['the fallback when the request has no ServiceTimeout', undefined, DEFAULT_ANSWER_WINDOW_MS],
      ['the fallback when ServiceTimeout is not 1–3600 seconds', '86400', DEFAULT_ANSWER_WINDOW_MS],
      ['the fallback when ServiceTimeout is not a number', 'soon', DEFAULT_ANSWER_WINDOW_MS],
    ])('sets the pending answer’s deadline from %s', async (_what, serviceTimeout, windowMs) => {
      // Prepare
      const { customerId, accountId, request: base } = await newCustomer();
      const { ServiceTimeout: _dropped, ...properties } = base.ResourceProperties ?? {};
      const request = {
        ...base,
        ResourceProperties: { ...properties, ...(serviceTimeout ? { ServiceTimeout: serviceTimeout } : {}) },
      };
      // Act
      const before = Date.now();
      await invoke(request);
      const after = Date.now();
      // Assess
      const stored = await store.getConnection(customerId, accountId);
      const deadline = stored && 'pendingAnswer' in stored ? stored.pendingAnswer?.deadline : undefined;
      expect(deadline).toBeGreaterThanOrEqual(before + windowMs);
      expect(deadline).toBeLessThanOrEqual(after + windowMs);
    });

    it('answers FAILED with an empty Content-Type when the External ID does not match, leaving no connection', async () => {
      const { customerId, accountId, request } = await newCustomer({
        externalId: 'keyless-forged-00000000000000000000000000000000',
      });
      await invoke(request);
      const put = server.requests.find((r) => r.path.includes(request.RequestId));
      expect(put?.method).toBe('PUT');
      expect(put?.headers['content-type'] ?? '').toBe('');
      expect(JSON.parse(put?.body ?? '{}')).toEqual({
        Status: 'FAILED',
        Reason: expect.stringMatching(/External ID does not match an open setup/),
        PhysicalResourceId: `keyless-${customerId}-${accountId}`,
        StackId: request.StackId,
        RequestId: request.RequestId,
        LogicalResourceId: 'KeylessRegistration',
        NoEcho: false,
      });
      expect(await store.getConnection(customerId, accountId)).toBeUndefined();
      expect(publishedEvents(eventBridge)).toEqual([]);
    });

    it('answers FAILED naming the expiry when the setup has expired', async () => {
      const { customerId, accountId, request } = await newCustomer({
        setup: { expiresAt: new Date(Date.now() - 1000).toISOString() },
      });
      await invoke(request);
      expect(server.answersFor(request.RequestId)).toEqual([
        expect.objectContaining({ Status: 'FAILED', Reason: expect.stringMatching(/expired/) }),
      ]);
      expect(await store.getConnection(customerId, accountId)).toBeUndefined();
    });

    it('answers FAILED when the role is in another account than the stack', async () => {
      const { customerId, accountId, request } = await newCustomer({
        roleArn: 'arn:aws:iam::999999999999:role/KeylessAccess',
      });
      await invoke(request);
      expect(server.answersFor(request.RequestId)).toEqual([
        expect.objectContaining({
          Status: 'FAILED',
          Reason: expect.stringMatching(/not in this stack's account/),
        }),
      ]);
      expect(await store.getConnection(customerId, accountId)).toBeUndefined();
    });

    it.each([
      ['a missing RoleArn', { RoleArn: undefined }, /RoleArn is required/],
      ['a numeric CustomerId', { CustomerId: 42 }, /CustomerId must be a string/],
      ['an oversized ExternalId', { ExternalId: 'x'.repeat(5000) }, /ExternalId must be at most 1224/],
      ['a malformed RoleArn', { RoleArn: 'arn:aws:iam::1:user/x' }, /RoleArn must be an IAM role ARN/],
    ])('answers FAILED naming the field for %s and leaves no connection', async (_what, change, reason) => {
      const { customerId, accountId, request } = await newCustomer();
      const bad = { ...request, ResourceProperties: { ...request.ResourceProperties, ...change } };
      await invoke(bad);
      const [answer] = server.answersFor(request.RequestId);
      expect(answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(reason) });
      expect(Buffer.byteLength(JSON.stringify(answer))).toBeLessThanOrEqual(4096);
      expect(await store.getConnection(customerId, accountId)).toBeUndefined();
    });

    it('never contacts a ResponseURL outside the allow-list, even one that reaches the same server', async () => {
      const lookAlike = (id: string) => server.url(id).replace('127.0.0.1', 'localhost');
      const { customerId, accountId, request } = await newCustomer({ responseUrl: lookAlike });
      const result = await invoke(request);
      expect(result).toEqual({ outcomes: ['ignored'] });
      expect(server.requests.filter((r) => r.path.includes(request.RequestId))).toEqual([]);
      expect(await store.getConnection(customerId, accountId)).toBeUndefined();
    });

    it('answers SUCCESS to a second stack of an ACTIVE account without changing the connection', async () => {
      const active = await activeConnection(store);
      const request = createOf(active, { stackId: stackIdFor(active.accountId) });
      await invoke(request);
      expect(server.answersFor(request.RequestId)).toEqual([
        expect.objectContaining({
          Status: 'SUCCESS',
          PhysicalResourceId: `keyless-${active.customerId}-${active.accountId}`,
          Data: { RoleArn: active.roleArn },
        }),
      ]);
      expect(await store.getConnection(active.customerId, active.accountId)).toMatchObject({
        status: 'ACTIVE',
        version: active.version,
        stackId: active.stackId,
      });
    });

    it('keeps a legacy connection on its keys and records the role to prove (migration)', async () => {
      const { customerId, legacy, setup, request } = await legacyMigration(store, server.url);
      await invoke(request);
      expect(await store.getConnection(customerId, legacy.accountId)).toMatchObject({
        status: 'ACTIVE',
        authMethod: 'ACCESS_KEYS',
        secretRef: legacy.secretRef,
        pendingRoleArn: `arn:aws:iam::${legacy.accountId}:role/KeylessAccess`,
        pendingExternalId: setup.externalId,
        stackId: request.StackId,
        pendingAnswer: expect.objectContaining({ requestId: request.RequestId }),
      });
      expect(publishedEvents(eventBridge)[0]?.detail).toMatchObject({ reason: 'migration' });
    });
  });

  describe('Update', () => {
    it('answers SUCCESS at once with the same PhysicalResourceId when role, External ID and template version are unchanged', async () => {
      const active = await activeConnection(store);
      const create = createOf(active);
      const update = followUp('Update', create, server.url, { ServiceTimeout: '600' });
      await invoke(update);
      expect(server.answersFor(update.RequestId)).toEqual([
        expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: update.PhysicalResourceId }),
      ]);
      expect(publishedEvents(eventBridge)).toEqual([]);
    });

    it('proves an Update that brings a new template version before recording it, the connection serving meanwhile', async () => {
      // Prepare
      const active = await activeConnection(store);
      const update = followUp('Update', createOf(active), server.url, { TemplateVersion: '2' });
      // Act
      await invoke(update);
      // Assess: answered by the validator once proven; the version waits as a candidate
      expect(server.answersFor(update.RequestId)).toEqual([]);
      const stored = await store.getConnection(active.customerId, active.accountId);
      expect(stored).toMatchObject({
        status: 'ACTIVE',
        roleArn: active.roleArn,
        pendingTemplateVersion: '2',
        pendingAnswer: expect.objectContaining({ requestId: update.RequestId, requestType: 'Update' }),
      });
      expect(stored).toMatchObject({ templateVersion: '1' });
      expect(publishedEvents(eventBridge)[0]?.detail).toMatchObject({ reason: 'upgrade' });
    });

    it('refuses a TemplateVersion that is not a version number, naming the property', async () => {
      const active = await activeConnection(store);
      const update = followUp('Update', createOf(active), server.url, { TemplateVersion: 'latest' });
      await invoke(update);
      expect(server.answersFor(update.RequestId)).toEqual([
        expect.objectContaining({
          Status: 'FAILED',
          Reason: expect.stringContaining('TemplateVersion'),
        }),
      ]);
    });

    it('records a rotated External ID as pending while the connection stays ACTIVE on the proven one', async () => {
      const active = await activeConnection(store);
      const rotation = await openSetup(store, active.customerId, { rotatesAccountId: active.accountId });
      const create = createOf(active);
      const update = followUp('Update', create, server.url, { ExternalId: rotation.externalId });
      await invoke(update);
      expect(server.answersFor(update.RequestId)).toEqual([]);
      expect(await store.getConnection(active.customerId, active.accountId)).toMatchObject({
        status: 'ACTIVE',
        externalId: active.externalId,
        setupId: active.setupId,
        pendingExternalId: rotation.externalId,
        pendingSetupId: rotation.setupId,
        pendingAnswer: expect.objectContaining({ requestId: update.RequestId, requestType: 'Update' }),
      });
      // Used only when the validator switches the proven ID in.
      expect((await store.getSetup(active.customerId, rotation.setupId))?.status).toBe('OPEN');
      expect(publishedEvents(eventBridge)[0]?.detail).toMatchObject({ reason: 'rotation' });
    });

    it('records a changed role ARN as pending to re-validate, keeping the connection ACTIVE on the proven role', async () => {
      // Prepare
      const active = await activeConnection(store);
      const create = createOf(active);
      const newRole = `arn:aws:iam::${active.accountId}:role/KeylessAccessV2`;
      const update = followUp('Update', create, server.url, { RoleArn: newRole });
      // Act
      await invoke(update);
      // Assess: not answered yet — the validator answers once the new role is proven
      expect(server.answersFor(update.RequestId)).toEqual([]);
      const stored = await store.getConnection(active.customerId, active.accountId);
      expect(stored).toMatchObject({
        status: 'ACTIVE',
        roleArn: active.roleArn,
        pendingRoleArn: newRole,
        pendingAnswer: expect.objectContaining({
          requestId: update.RequestId,
          physicalResourceId: update.PhysicalResourceId,
        }),
      });
      expect(stored).not.toHaveProperty('pendingExternalId');
      expect(publishedEvents(eventBridge)).toEqual([
        {
          detailType: DETAIL_TYPES.roleRegistered,
          detail: expect.objectContaining({ reason: 'update', roleArn: newRole }),
        },
      ]);
    });

    it('refuses an Update that replays a rotation setup already used, leaving the connection as it was', async () => {
      // Prepare: a rotation whose External ID was switched in before (its setup is USED)
      const active = await activeConnection(store);
      const used = await openSetup(store, active.customerId, {
        rotatesAccountId: active.accountId,
        status: 'USED',
      });
      const create = createOf(active);
      const replay = followUp('Update', create, server.url, { ExternalId: used.externalId });
      // Act
      await invoke(replay);
      // Assess
      expect(server.answersFor(replay.RequestId)).toEqual([
        expect.objectContaining({
          Status: 'FAILED',
          Reason: expect.stringMatching(/does not match an open setup/),
        }),
      ]);
      const stored = await store.getConnection(active.customerId, active.accountId);
      expect(stored).toMatchObject({
        status: 'ACTIVE',
        version: active.version,
        externalId: active.externalId,
      });
      expect(publishedEvents(eventBridge)).toEqual([]);
    });

    it('uses the new setup in the same write when an Update re-registers a FAILED connection with its External ID', async () => {
      // Prepare: a Create that failed validation, then a fresh setup for the customer
      const { customerId, accountId, request: create } = await newCustomer();
      await invoke(create);
      const registered = (await store.getConnection(customerId, accountId))!;
      await store.updateConnection({
        connection: registered,
        to: 'FAILED',
        remove: ['pendingAnswer'],
        audit: { actor: 'test', reason: 'role not assumable' },
      });
      const fresh = await openSetup(store, customerId);
      const update = followUp('Update', create, server.url, { ExternalId: fresh.externalId });
      // Act
      await invoke(update);
      // Assess
      expect(await store.getConnection(customerId, accountId)).toMatchObject({
        status: 'REGISTERED',
        externalId: fresh.externalId,
        setupId: fresh.setupId,
      });
      expect((await store.getSetup(customerId, fresh.setupId))?.status).toBe('USED');
    });

    it('refuses a rotation setup issued for another account', async () => {
      const active = await activeConnection(store);
      const rotation = await openSetup(store, active.customerId, { rotatesAccountId: randomAccountId() });
      const create = createOf(active);
      const update = followUp('Update', create, server.url, { ExternalId: rotation.externalId });
      await invoke(update);
      expect(server.answersFor(update.RequestId)).toEqual([expect.objectContaining({ Status: 'FAILED' })]);
      expect(await store.getConnection(active.customerId, active.accountId)).not.toHaveProperty(
        'pendingExternalId',
      );
    });
  });

  describe('Delete', () => {
    it('answers SUCCESS and emits Integration Stack Deleted when StackId and External ID match', async () => {
      const active = await activeConnection(store);
      const create = createOf(active);
      const del = followUp('Delete', create, server.url);
      await invoke(del);
      expect(server.answersFor(del.RequestId)).toEqual([
        expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: del.PhysicalResourceId }),
      ]);
      expect(publishedEvents(eventBridge)).toEqual([
        {
          detailType: DETAIL_TYPES.integrationStackDeleted,
          detail: expect.objectContaining({ customerId: active.customerId, stackId: active.stackId }),
        },
      ]);
    });

    it.each([
      ['a wrong External ID', { ExternalId: 'keyless-forged-0000000000000000' }, undefined],
      ['another stack', {}, 'other-stack'],
    ])(
      'answers SUCCESS to a forged Delete (%s) and changes nothing',
      async (_what, properties, otherStack) => {
        const active = await activeConnection(store);
        const create = createOf(active, otherStack ? { stackId: stackIdFor(active.accountId) } : {});
        const del = followUp('Delete', create, server.url, properties);
        await invoke(del);
        expect(server.answersFor(del.RequestId)).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
        expect(publishedEvents(eventBridge)).toEqual([]);
        expect((await store.getConnection(active.customerId, active.accountId))?.status).toBe('ACTIVE');
      },
    );

    it('answers SUCCESS to the Delete that follows a FAILED Create, with the failed answer’s PhysicalResourceId', async () => {
      const {
        customerId,
        accountId,
        request: create,
      } = await newCustomer({
        externalId: 'keyless-forged-00000000000000000000000000000000',
      });
      await invoke(create);
      const [failed] = server.answersFor(create.RequestId);
      const del = {
        ...followUp('Delete', create, server.url),
        PhysicalResourceId: String(failed?.PhysicalResourceId),
      };
      await invoke(del);
      expect(server.answersFor(del.RequestId)).toEqual([
        expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: failed?.PhysicalResourceId }),
      ]);
      expect(await store.getConnection(customerId, accountId)).toBeUndefined();
      expect(publishedEvents(eventBridge)).toEqual([]);
    });

    it('answers the SNS-wrapped Delete sample SUCCESS even when nothing is registered', async () => {
      const sample = loadEvent('sns/custom-resource-delete');
      const requestId = randomUUID();
      const event = {
        ...sample,
        Records: sample.Records.map((r) => ({
          ...r,
          Sns: {
            ...r.Sns,
            Message: JSON.stringify({
              ...JSON.parse(r.Sns.Message),
              RequestId: requestId,
              ResponseURL: server.url(requestId),
            }),
          },
        })),
      };
      await invoke(event);
      expect(server.answersFor(requestId)).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    });
  });
});
