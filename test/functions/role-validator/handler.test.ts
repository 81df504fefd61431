import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRegistrationCallbackHandler } from '#functions/registration-callback/factory.ts';
import { createRoleValidatorHandler } from '#functions/role-validator/factory.ts';
import type { CustomResourceRequest } from '#shared/cloudformation/request.ts';
import { DETAIL_TYPES } from '#shared/events/catalog.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { loadEvent } from '../../support/events.ts';
import { createContext } from '../../support/lambda-context.ts';
import { customerWithSetup, followUp, legacyMigration, publishedEvents } from '../../support/onboarding.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';
import { startResponseServer } from '../../support/response-server.ts';

const eventBridge = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);
let table: Awaited<ReturnType<typeof createTestTable>>;
let server: Awaited<ReturnType<typeof startResponseServer>>;
let store: ReturnType<typeof createConnectionStore>;
let callback: ReturnType<typeof createRegistrationCallbackHandler>;
let validator: ReturnType<typeof createRoleValidatorHandler>;

const credentials = {
  AccessKeyId: 'ASIAEXAMPLE',
  SecretAccessKey: 'secret',
  SessionToken: 'token',
  Expiration: new Date(Date.now() + 900_000),
};
const accessDenied = () =>
  Object.assign(new Error('not authorized to perform sts:AssumeRole'), {
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 },
  });

beforeAll(async () => {
  table = await createTestTable();
  server = await startResponseServer();
  const platform = testPlatform({ table, responseOrigin: server.origin });
  callback = createRegistrationCallbackHandler(
    platform,
    testConfig('registration-callback', table.tableName),
  );
  validator = createRoleValidatorHandler(platform, testConfig('role-validator', table.tableName));
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
});

/** STS as a customer role would answer: with the External ID it works, without it is denied. */
function roleTrusting(accountId: string, externalId: string) {
  sts.on(AssumeRoleCommand).rejects(accessDenied());
  sts.on(AssumeRoleCommand, { ExternalId: externalId }).resolves({ Credentials: credentials });
  sts.on(GetCallerIdentityCommand).resolves({ Account: accountId });
}

/** Registers through the callback and returns the Role Registered event it emitted, as EventBridge delivers it. */
async function register(request: CustomResourceRequest) {
  await callback(request, createContext());
  const emitted = publishedEvents(eventBridge).find((e) => e.detailType === DETAIL_TYPES.roleRegistered);
  if (emitted?.detailType !== DETAIL_TYPES.roleRegistered) throw new Error('no Role Registered event');
  eventBridge.resetHistory();
  return { ...loadEvent('eventbridge/role-registered'), detail: emitted.detail };
}

const scenario = () => customerWithSetup(store, server.url);

describe('role-validator handler', () => {
  it('activates a proven role and answers SUCCESS through the ResponseURL', async () => {
    // Prepare
    const { customerId, accountId, setup, request } = await scenario();
    roleTrusting(accountId, setup.externalId);
    const event = await register(request);
    // Act
    const result = await validator(event, createContext());
    // Assess
    expect(result).toMatchObject({ kind: 'validated' });
    const stored = await store.getConnection(customerId, accountId);
    expect(stored).toMatchObject({ status: 'ACTIVE', version: 2, validatedAt: expect.any(String) });
    expect(stored).not.toHaveProperty('pendingAnswer');
    const put = server.requests.find((r) => r.path.includes(request.RequestId));
    expect(put?.method).toBe('PUT');
    expect(put?.headers['content-type'] ?? '').toBe('');
    expect(JSON.parse(put?.body ?? '{}')).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: `keyless-${customerId}-${accountId}`,
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: 'KeylessRegistration',
      NoEcho: false,
      Data: { RoleArn: `arn:aws:iam::${accountId}:role/KeylessAccess` },
    });
    expect(publishedEvents(eventBridge)).toEqual([
      {
        detailType: DETAIL_TYPES.roleValidated,
        detail: expect.objectContaining({ customerId, accountId, version: 2 }),
      },
    ]);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleSessionName: expect.stringMatching(new RegExp(`^keyless-validate-${customerId}-\\d+$`)),
      ExternalId: setup.externalId,
    });
  });

  it('rejects a role that can be assumed without the External ID and answers FAILED with that reason', async () => {
    const { customerId, accountId, request } = await scenario();
    sts.on(AssumeRoleCommand).resolves({ Credentials: credentials });
    sts.on(GetCallerIdentityCommand).resolves({ Account: accountId });
    const event = await register(request);
    await validator(event, createContext());
    expect(await store.getConnection(customerId, accountId)).toMatchObject({
      status: 'FAILED',
      lastError: expect.stringMatching(/can be assumed without the External ID/),
    });
    expect(server.answersFor(request.RequestId)).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Reason: expect.stringMatching(/sts:ExternalId condition/),
      }),
    ]);
    expect(publishedEvents(eventBridge)[0]?.detailType).toBe(DETAIL_TYPES.roleValidationFailed);
  });

  it('rejects a role whose assumed identity reports another account', async () => {
    const { customerId, accountId, setup, request } = await scenario();
    roleTrusting(accountId, setup.externalId);
    sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999' });
    await validator(await register(request), createContext());
    expect((await store.getConnection(customerId, accountId))?.status).toBe('FAILED');
    expect(server.answersFor(request.RequestId)[0]).toMatchObject({
      Reason: expect.stringMatching(/999999999999/),
    });
  });

  it('answers a request exactly once when the event is delivered twice', async () => {
    const { accountId, setup, request } = await scenario();
    roleTrusting(accountId, setup.externalId);
    const event = await register(request);
    await validator(event, createContext());
    const again = await validator(event, createContext());
    expect(again).toMatchObject({ kind: 'skipped' });
    expect(server.answersFor(request.RequestId)).toHaveLength(1);
  });

  it('moves a legacy connection onto the proven role and out of the legacy index', async () => {
    const { customerId, legacy, setup, request } = await legacyMigration(store, server.url);
    roleTrusting(legacy.accountId, setup.externalId);
    await validator(await register(request), createContext());
    const stored = await store.getConnection(customerId, legacy.accountId);
    expect(stored).toMatchObject({
      status: 'ACTIVE',
      authMethod: 'ROLE',
      roleArn: `arn:aws:iam::${legacy.accountId}:role/KeylessAccess`,
      externalId: setup.externalId,
      stackId: request.StackId,
      setupId: setup.setupId,
    });
    for (const field of [
      'secretRef',
      'pendingRoleArn',
      'pendingExternalId',
      'pendingSetupId',
      'pendingAnswer',
    ]) {
      expect(stored).not.toHaveProperty(field);
    }
    expect((await store.getSetup(customerId, setup.setupId))?.status).toBe('USED');
    const legacyIndex = await store.queryLegacyConnections({
      createdBefore: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(legacyIndex.items.map((i) => i.accountId)).not.toContain(legacy.accountId);
    expect(server.answersFor(request.RequestId)).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('keeps a legacy connection on its keys when the role fails validation', async () => {
    const { customerId, legacy, request } = await legacyMigration(store, server.url);
    sts.on(AssumeRoleCommand).resolves({ Credentials: credentials });
    sts.on(GetCallerIdentityCommand).resolves({ Account: legacy.accountId });
    await validator(await register(request), createContext());
    const stored = await store.getConnection(customerId, legacy.accountId);
    expect(stored).toMatchObject({
      status: 'ACTIVE',
      authMethod: 'ACCESS_KEYS',
      secretRef: legacy.secretRef,
    });
    expect(stored).not.toHaveProperty('pendingRoleArn');
    expect(server.answersFor(request.RequestId)).toEqual([expect.objectContaining({ Status: 'FAILED' })]);
  });

  it('refuses an input that is neither a Role Registered event nor a re-validation request', async () => {
    await expect(validator({ mode: 'explode' } as never, createContext())).rejects.toThrow(/Invalid request/);
  });

  it('refuses a re-validation of an account without its customer instead of re-checking everyone', async () => {
    await expect(
      validator({ mode: 'revalidate', accountId: '111122223333' }, createContext()),
    ).rejects.toThrow(/accountId needs its customerId/);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
  });
});

describe('role-validator handler, once the template has a newer version', () => {
  const catalogue = {
    current: 2,
    parameters: ['ExternalId', 'CustomerId', 'RoleName', 'SetupPhase', 'AllowedSourceIp'],
    upgrades: {
      '1': { changes: ['Allows ce:GetCostForecast'], keptParameters: ['ExternalId', 'CustomerId'] },
    },
  };
  const upgradeNotices = () =>
    publishedEvents(eventBridge).filter(
      (event) => event.detailType === DETAIL_TYPES.templateUpgradeAvailable,
    );

  it('tells of the upgrade once per version, then proves the Update that brings it and records the version', async () => {
    // Prepare: a connection proven on template v1, and a deployment whose current template is v2
    const upgraded = createRoleValidatorHandler(
      testPlatform({ table, responseOrigin: server.origin }),
      testConfig('role-validator', table.tableName, { TEMPLATE_CATALOGUE: JSON.stringify(catalogue) }),
    );
    const { customerId, accountId, setup, request } = await scenario();
    roleTrusting(accountId, setup.externalId);
    await upgraded(await register(request), createContext());
    expect(await store.getConnection(customerId, accountId)).toMatchObject({
      status: 'ACTIVE',
      templateVersion: '1',
    });
    const revalidate = () => upgraded({ mode: 'revalidate', customerId, accountId }, createContext());

    // Act: two daily re-validations
    eventBridge.resetHistory();
    await revalidate();
    await revalidate();

    // Assess: one notice, naming the versions and the change
    expect(upgradeNotices()).toEqual([
      {
        detailType: DETAIL_TYPES.templateUpgradeAvailable,
        detail: expect.objectContaining({
          customerId,
          accountId,
          stackId: request.StackId,
          fromVersion: '1',
          toVersion: '2',
          changes: ['Allows ce:GetCostForecast'],
        }),
      },
    ]);

    // Act: the customer updates the stack to v2
    const update = followUp('Update', request, server.url, { TemplateVersion: '2' });
    const registered = await register(update);
    expect(registered.detail).toMatchObject({ reason: 'upgrade' });
    await upgraded(registered, createContext());

    // Assess: proven, answered, recorded; no further notice
    expect(server.answersFor(update.RequestId)).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    const stored = await store.getConnection(customerId, accountId);
    expect(stored).toMatchObject({ status: 'ACTIVE', templateVersion: '2' });
    expect(stored).not.toHaveProperty('pendingTemplateVersion');
    eventBridge.resetHistory();
    await revalidate();
    expect(upgradeNotices()).toEqual([]);
  });

  it('keeps the proven version when the Update that brings a new one fails its proof', async () => {
    const upgraded = createRoleValidatorHandler(
      testPlatform({ table, responseOrigin: server.origin }),
      testConfig('role-validator', table.tableName, { TEMPLATE_CATALOGUE: JSON.stringify(catalogue) }),
    );
    const { customerId, accountId, setup, request } = await scenario();
    roleTrusting(accountId, setup.externalId);
    await upgraded(await register(request), createContext());
    const update = followUp('Update', request, server.url, { TemplateVersion: '2' });
    const registered = await register(update);
    // The updated role now trusts anyone: the proof fails.
    sts.reset();
    sts.on(AssumeRoleCommand).resolves({ Credentials: credentials });
    sts.on(GetCallerIdentityCommand).resolves({ Account: accountId });
    await upgraded(registered, createContext());
    expect(server.answersFor(update.RequestId)).toEqual([expect.objectContaining({ Status: 'FAILED' })]);
    const stored = await store.getConnection(customerId, accountId);
    expect(stored).toMatchObject({ status: 'ACTIVE', templateVersion: '1' });
    expect(stored).not.toHaveProperty('pendingTemplateVersion');
  });
});
