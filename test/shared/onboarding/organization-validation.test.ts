/**
 * The validator's proof of membership for organization setups (docs/architecture.md §9.7), on a
 * real table with STS mocked: a member of the setup's organization is ACTIVE with its
 * organization recorded; an unbound setup is bound by its first proven member; an account of
 * another organization, or of none, is answered FAILED naming the membership; a normal setup's
 * registration never asks Organizations.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localResponseUrlPolicy } from '#local/emulator/response-receiver.ts';
import type { OrganizationLookup } from '#shared/clients/organizations.ts';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import type { RoleConnection } from '#shared/domain/connection.ts';
import type { Setup } from '#shared/domain/setup.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { createMembershipChecker } from '#shared/onboarding/organization-membership.ts';
import { createRoleProver } from '#shared/onboarding/role-proof.ts';
import { createValidator } from '#shared/onboarding/validation.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { randomAccountId } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { openSetup, uniqueCustomer } from '../../support/onboarding.ts';
import { startResponseServer } from '../../support/response-server.ts';

const eventBridge = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);
let table: Awaited<ReturnType<typeof createTestTable>>;
let server: Awaited<ReturnType<typeof startResponseServer>>;
let store: ReturnType<typeof createConnectionStore>;

const credentials = { AccessKeyId: 'ASIA', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() };
const accessDenied = () =>
  Object.assign(new Error('not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

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
});

/** A validator whose DescribeOrganization answers `lookup` for every session. */
function validatorAnswering(lookup: () => OrganizationLookup) {
  const describeOrganization = vi.fn(async () => lookup());
  const validator = createValidator({
    store,
    publisher: createEventPublisher({ client: new EventBridgeClient({}), busName: 'keyless-test' }),
    answers: createAnswerSender({ policy: localResponseUrlPolicy(server.origin) }),
    prover: createRoleProver({ sts: new STSClient({}), sleep: async () => undefined, random: () => 0.5 }),
    membership: createMembershipChecker({ describeOrganization, sleep: async () => undefined }),
    logger: { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() },
    metrics: { addMetric: vi.fn() },
  });
  return { validator, describeOrganization };
}

/** A Create registered through `setup`, awaiting its proof; STS proves its role. */
async function registeredThrough(setup: Setup, accountId = randomAccountId()) {
  const requestId = randomUUID();
  const now = new Date();
  const roleArn = `arn:aws:iam::${accountId}:role/KeylessAccess`;
  const stackId = `arn:aws:cloudformation:us-east-1:${accountId}:stack/keyless/${randomUUID()}`;
  const connection = (await store.registerConnection({
    connection: {
      customerId: setup.customerId,
      accountId,
      authMethod: 'ROLE',
      status: 'REGISTERED',
      version: 1,
      roleArn,
      externalId: setup.externalId,
      stackId,
      setupId: setup.setupId,
      pendingAnswer: {
        responseUrl: server.url(requestId),
        requestId,
        requestType: 'Create',
        logicalResourceId: 'KeylessRegistration',
        stackId,
        physicalResourceId: `keyless-${setup.customerId}-${accountId}`,
        deadline: now.getTime() + 600_000,
      },
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    },
    setup,
    audit: { actor: 'test', reason: 'test' },
    now,
  })) as RoleConnection;
  sts.on(AssumeRoleCommand).rejects(accessDenied());
  sts
    .on(AssumeRoleCommand, { RoleArn: roleArn, ExternalId: setup.externalId })
    .resolves({ Credentials: credentials });
  sts.on(GetCallerIdentityCommand).resolves({ Account: accountId });
  const detail = {
    customerId: setup.customerId,
    accountId,
    version: connection.version,
    correlationId: requestId,
    roleArn,
    reason: 'create' as const,
  };
  return { connection, requestId, detail };
}

const run = (
  validator: ReturnType<typeof createValidator>,
  detail: Parameters<ReturnType<typeof createValidator>['validateRegistration']>[0],
) => validator.validateRegistration(detail, { remainingMs: () => 900_000, eventId: randomUUID() });

const organizationSetup = (customerId: string, organizationId?: string) =>
  openSetup(store, customerId, {
    scope: 'organization',
    ...(organizationId ? { organizationId } : {}),
  });

describe('the proof of membership of an organization setup', () => {
  it("activates a member of the setup's organization and records the organization", async () => {
    const setup = await organizationSetup(uniqueCustomer(), 'o-acme000001');
    const { validator } = validatorAnswering(() => ({ kind: 'member', organizationId: 'o-acme000001' }));
    const { detail, requestId } = await registeredThrough(setup);

    const outcome = await run(validator, detail);

    expect(outcome).toMatchObject({ kind: 'validated', connection: { organizationId: 'o-acme000001' } });
    expect(server.answersFor(requestId)).toMatchObject([{ Status: 'SUCCESS' }]);
  });

  it('answers an account of another organization FAILED, naming the membership, and keeps only the audit line', async () => {
    const setup = await organizationSetup(uniqueCustomer(), 'o-acme000001');
    const { validator } = validatorAnswering(() => ({ kind: 'member', organizationId: 'o-globex00001' }));
    const { detail, requestId } = await registeredThrough(setup, '444455556666');

    const outcome = await run(validator, detail);

    const reason =
      'Account 444455556666 is not a member of organization o-acme000001 (it belongs to o-globex00001)';
    expect(outcome).toMatchObject({ kind: 'refused', reason: expect.stringContaining(reason) });
    expect(server.answersFor(requestId)).toMatchObject([
      { Status: 'FAILED', Reason: expect.stringContaining(reason) },
    ]);
    expect(await store.getConnection(setup.customerId, '444455556666')).toBeUndefined();
    const audit = await store.listAllAudit(setup.customerId);
    expect(audit.filter((entry) => entry.accountId === '444455556666').at(-1)).toMatchObject({
      from: 'REGISTERED',
      to: 'FAILED',
      actor: 'role-validator',
      reason: expect.stringContaining(reason),
    });
  });

  it('keeps a non-member FAILED when its record holds a revocation time (invariant 9)', async () => {
    const setup = await organizationSetup(uniqueCustomer(), 'o-acme000001');
    const { validator } = validatorAnswering(() => ({ kind: 'not-in-organization' }));
    const { detail, connection } = await registeredThrough(setup, '444455557777');
    await store.updateConnection({
      connection,
      set: { offersValidAfter: '2026-01-01T00:00:00.000Z' },
      now: new Date(),
    });

    expect(await run(validator, { ...detail, version: connection.version + 1 })).toMatchObject({
      kind: 'rejected',
    });
    expect(await store.getConnection(setup.customerId, '444455557777')).toMatchObject({
      status: 'FAILED',
      offersValidAfter: '2026-01-01T00:00:00.000Z',
    });
  });

  it('never deletes a registration that a newer one replaced meanwhile', async () => {
    const setup = await organizationSetup(uniqueCustomer(), 'o-acme000001');
    const { connection } = await registeredThrough(setup, '444455558888');
    await store.updateConnection({ connection, set: { lastError: 'newer write' }, now: new Date() });

    await expect(
      store.discardUnproven({ connection, audit: { actor: 'test', reason: 'x' } }),
    ).rejects.toThrow(/changed since it was read/);
    expect(await store.getConnection(setup.customerId, '444455558888')).toMatchObject({
      status: 'REGISTERED',
    });
  });

  it('answers an account in no organization FAILED, and keeps only the audit line', async () => {
    const setup = await organizationSetup(uniqueCustomer(), 'o-acme000001');
    const { validator } = validatorAnswering(() => ({ kind: 'not-in-organization' }));
    const { detail } = await registeredThrough(setup, '555566667777');

    expect(await run(validator, detail)).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/^Account 555566667777 is not a member of organization o-acme000001/),
    });
    expect(await store.getConnection(setup.customerId, '555566667777')).toBeUndefined();
  });

  it('binds an unbound setup to its first member, then refuses a member of another organization', async () => {
    const customerId = uniqueCustomer();
    const setup = await organizationSetup(customerId);
    let organization = 'o-acme000001';
    const { validator } = validatorAnswering(() => ({ kind: 'member', organizationId: organization }));

    const first = await run(validator, (await registeredThrough(setup)).detail);
    organization = 'o-globex00001';
    const second = await run(validator, (await registeredThrough(setup, '666677778888')).detail);

    expect(first).toMatchObject({ kind: 'validated' });
    expect((await store.getSetup(customerId, setup.setupId))?.organizationId).toBe('o-acme000001');
    expect(second).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining(
        'Account 666677778888 is not a member of organization o-acme000001 (it belongs to o-globex00001)',
      ),
    });
  });

  it('never asks Organizations for a normal setup', async () => {
    const setup = await openSetup(store, uniqueCustomer());
    const { validator, describeOrganization } = validatorAnswering(() => ({ kind: 'not-in-organization' }));
    const { detail } = await registeredThrough(setup);

    expect(await run(validator, detail)).toMatchObject({ kind: 'validated' });
    expect(describeOrganization).not.toHaveBeenCalled();
  });
});
