/**
 * Hostile registrations through organization setups (docs/architecture.md §9.7): generated
 * accounts of the setup's organization, of other organizations, of none, whose session may not
 * ask, or whose answer is an outage, and registrations whose StackId names a member account while
 * the role is a non-member's. The real validator proves each on a real table (STS and
 * Organizations faked, keyed by the session's own account); only a member of the setup's
 * organization ends ACTIVE, and every other is answered FAILED with a reason naming why; an
 * account proven outside the organization leaves nothing but the audit line.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  AssumeRoleCommand,
  type Credentials,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localResponseUrlPolicy } from '#local/emulator/response-receiver.ts';
import type { OrganizationLookup } from '#shared/clients/organizations.ts';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import type { Setup } from '#shared/domain/setup.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { createMembershipChecker } from '#shared/onboarding/organization-membership.ts';
import { createRoleProver } from '#shared/onboarding/role-proof.ts';
import { createValidator } from '#shared/onboarding/validation.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { randomAccountId } from '../support/builders.ts';
import { createTestTable } from '../support/dynamodb.ts';
import { openSetup, uniqueCustomer } from '../support/onboarding.ts';
import { startResponseServer } from '../support/response-server.ts';
import { createFigures } from './support/figures.ts';
import { FUZZ_RUNS, FUZZ_SEED } from './support/settings.ts';

const eventBridge = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);
const figures = createFigures(import.meta.filename);
const RUNS = Math.max(40, Math.ceil(FUZZ_RUNS * 0.01));
const ORGANIZATION = 'o-acme000001';

let table: Awaited<ReturnType<typeof createTestTable>>;
let server: Awaited<ReturnType<typeof startResponseServer>>;
let store: ReturnType<typeof createConnectionStore>;
/** What DescribeOrganization answers each account's session. */
const lookups = new Map<string, OrganizationLookup>();
/** The External IDs the customers' roles trust: their setups' (never a decoy). */
const trusted = new Set<string>();

beforeAll(async () => {
  table = await createTestTable('keyless-membership');
  server = await startResponseServer();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  // A session's key names its account, so Organizations answers for the role's account only.
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string; ExternalId?: string }) => {
    if (!input.ExternalId || !trusted.has(input.ExternalId))
      throw Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const account = input.RoleArn.split(':')[4];
    return {
      Credentials: {
        AccessKeyId: `ASIA${account}`,
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(),
      },
    };
  });
  sts.on(GetCallerIdentityCommand).callsFake(() => {
    throw new Error('GetCallerIdentity is read through the injected reader');
  });
});
afterAll(async () => {
  figures.write();
  await server.close();
  await table.drop();
});

let validator: ReturnType<typeof createValidator>;
beforeAll(() => {
  validator = createValidator({
    store,
    publisher: createEventPublisher({ client: new EventBridgeClient({}), busName: 'keyless-test' }),
    answers: createAnswerSender({ policy: localResponseUrlPolicy(server.origin) }),
    prover: createRoleProver({
      sts: new STSClient({}),
      callerIdentity: async (credentials) => ({ Account: credentials.AccessKeyId?.slice(4) }),
      sleep: async () => undefined,
      random: () => 0.5,
    }),
    membership: createMembershipChecker({
      describeOrganization: async (credentials: Credentials) =>
        lookups.get(credentials.AccessKeyId?.slice(4) ?? '') ?? { kind: 'not-in-organization' },
      sleep: async () => undefined,
    }),
    logger: { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() },
    metrics: { addMetric: vi.fn() },
  });
});

/** A Create recorded through `setup` for the stack's account, with the role of `roleAccount`. */
async function registered(setup: Setup, stackAccount: string, roleAccount = stackAccount) {
  const requestId = randomUUID();
  const now = new Date();
  trusted.add(setup.externalId);
  const roleArn = `arn:aws:iam::${roleAccount}:role/KeylessAccess`;
  const stackId = `arn:aws:cloudformation:us-east-1:${stackAccount}:stack/keyless/${randomUUID()}`;
  const connection = await store.registerConnection({
    connection: {
      customerId: setup.customerId,
      accountId: stackAccount,
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
        physicalResourceId: `keyless-${setup.customerId}-${stackAccount}`,
        deadline: now.getTime() + 600_000,
      },
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    },
    setup,
    audit: { actor: 'test', reason: 'test' },
    now,
  });
  const outcome = await validator.validateRegistration(
    {
      customerId: setup.customerId,
      accountId: stackAccount,
      version: connection.version,
      correlationId: requestId,
      roleArn,
      reason: 'create',
    },
    { remainingMs: () => 900_000, eventId: randomUUID() },
  );
  return { outcome, answers: server.answersFor(requestId) };
}

const otherOrganization = fc.stringMatching(/^o-[a-z0-9]{10,32}$/).filter((id) => id !== ORGANIZATION);
type Case = { kind: string; lookup: OrganizationLookup };
const lookup: fc.Arbitrary<Case> = fc.oneof(
  fc.constant<Case>({ kind: 'member', lookup: { kind: 'member', organizationId: ORGANIZATION } }),
  otherOrganization.map(
    (organizationId): Case => ({ kind: 'other organization', lookup: { kind: 'member', organizationId } }),
  ),
  fc.constant<Case>({ kind: 'no organization', lookup: { kind: 'not-in-organization' } }),
  fc.constant<Case>({ kind: 'denied', lookup: { kind: 'denied', message: 'AccessDeniedException' } }),
  fc.constant<Case>({ kind: 'outage', lookup: { kind: 'unavailable', message: 'TooManyRequestsException' } }),
);

describe('registrations through an organization setup under hostile accounts', () => {
  it(
    `connects only members of the organization, over ${RUNS} generated accounts`,
    async () => {
      const setup = await openSetup(store, uniqueCustomer(), {
        scope: 'organization',
        organizationId: ORGANIZATION,
      });
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(lookup, async ({ kind, lookup: answer }) => {
          seen.add(kind);
          figures.add('hostileCases');
          const account = randomAccountId();
          lookups.set(account, answer);
          const { outcome, answers } = await registered(setup, account);
          if (kind === 'member') {
            expect(outcome, kind).toMatchObject({
              kind: 'validated',
              connection: { organizationId: ORGANIZATION },
            });
            expect(answers).toMatchObject([{ Status: 'SUCCESS' }]);
            return;
          }
          const reason =
            kind === 'other organization' || kind === 'no organization'
              ? `Account ${account} is not a member of organization ${ORGANIZATION}`
              : `Keyless could not confirm that account ${account} is a member of organization ${ORGANIZATION}`;
          // A proven non-member leaves nothing but the audit line; an unconfirmed one stays FAILED.
          const nonMember = kind === 'other organization' || kind === 'no organization';
          expect(outcome, kind).toMatchObject({
            kind: nonMember ? 'refused' : 'rejected',
            reason: expect.stringContaining(reason),
          });
          expect(answers).toMatchObject([{ Status: 'FAILED', Reason: expect.stringContaining(reason) }]);
          expect(outcome).not.toHaveProperty('connection.organizationId');
          const stored = await store.getConnection(setup.customerId, account);
          if (nonMember) expect(stored, kind).toBeUndefined();
          else expect(stored, kind).toMatchObject({ status: 'FAILED' });
        }),
        { numRuns: RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
      );
      expect(seen.size).toBe(5);
    },
    Math.max(60_000, RUNS * 200),
  );

  it("asks Organizations with the role's session: a member's StackId does not lend a non-member its membership", async () => {
    const setup = await openSetup(store, uniqueCustomer(), {
      scope: 'organization',
      organizationId: ORGANIZATION,
    });
    const member = randomAccountId();
    const stranger = randomAccountId();
    lookups.set(member, { kind: 'member', organizationId: ORGANIZATION });
    lookups.set(stranger, { kind: 'member', organizationId: 'o-globex00001' });

    const { outcome } = await registered(setup, member, stranger);

    expect(outcome).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining(`Account ${stranger} is not a member of organization ${ORGANIZATION}`),
    });
    expect(await store.getConnection(setup.customerId, member)).toBeUndefined();
  });
});
