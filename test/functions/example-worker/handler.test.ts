import { STSClient } from '@aws-sdk/client-sts';
import { ValidationPendingError } from '@keyless/broker/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleWorkerHandler } from '#functions/example-worker/factory.ts';
import { instantiateCustomerTemplate } from '#local/emulator/instantiate.ts';
import { type AssumeRoleCall, createLocalSts, type LocalSts } from '#local/emulator/sts.ts';
import { type LocalStsServer, startLocalStsServer } from '#local/emulator/sts-server.ts';
import {
  buildCustomerTemplate,
  resolveCustomerTemplateConfig,
  trustedPrincipalArns,
} from '#shared/customer-template/template.ts';
import { ValidationError } from '#shared/errors.ts';
import { type ConnectionStore, createConnectionStore } from '#shared/store/connection-store.ts';
import { buildRoleConnection, buildSetup } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { createContext } from '../../support/lambda-context.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';

const audit = { actor: 'test', reason: 'test setup' };
const PROVIDER_ACCOUNT_ID = '999988887777';
const templateConfig = resolveCustomerTemplateConfig({
  providerAccountId: PROVIDER_ACCOUNT_ID,
  stage: 'local',
  regions: ['us-east-1'],
});
/** The worker runs as the broker role, which customer roles trust (function-catalogue.ts). */
const brokerRoleArn = trustedPrincipalArns(templateConfig)[1] as string;

let table: Awaited<ReturnType<typeof createTestTable>>;
let sts: LocalSts;
let stsServer: LocalStsServer;
const granted: AssumeRoleCall[] = [];
let store: ConnectionStore;
let handler: ReturnType<typeof createExampleWorkerHandler>;

beforeAll(async () => {
  table = await createTestTable();
  // The local runtime's STS: AssumeRole is decided by each customer role's real trust policy.
  sts = createLocalSts({
    providerAccountId: PROVIDER_ACCOUNT_ID,
    providerRoleArn: brokerRoleArn,
    onAssumeRole: (call) => granted.push(call),
  });
  stsServer = await startLocalStsServer(sts);
  handler = createExampleWorkerHandler(
    testPlatform({
      table,
      sts: new STSClient({ endpoint: stsServer.endpoint }),
      awsEndpoint: stsServer.endpoint,
      functionName: 'keyless-example-worker',
    }),
    testConfig('example-worker', table.tableName),
  );
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(async () => {
  await stsServer.stop();
  await table.drop();
});
const invoke = (event: unknown) => handler(event, createContext({ functionName: 'keyless-example-worker' }));

/** Deploys the customer template's role in the connection's account, as the customer's stack would. */
async function deployCustomerRole(accountId: string, externalId: string) {
  const { role } = instantiateCustomerTemplate(buildCustomerTemplate(templateConfig), {
    accountId,
    region: 'us-east-1',
    parameters: { ExternalId: externalId, CustomerId: 'acme-corp' },
  });
  await sts.putRole({
    arn: role.arn,
    trustPolicy: role.trustPolicy,
    maxSessionDuration: role.maxSessionDuration,
  });
}

/** A connection in `status`; its deployed role trusts its External ID, or `roleExternalId`. */
async function connection(
  status: 'REGISTERED' | 'ACTIVE' | 'REVOKED',
  { roleExternalId }: { roleExternalId?: string } = {},
) {
  const customerId = `worker-${Math.random().toString(36).slice(2, 10)}`;
  const setup = await store.putSetup(buildSetup({ customerId }));
  const built = buildRoleConnection({ customerId });
  await deployCustomerRole(built.accountId, roleExternalId ?? built.externalId);
  const registered = await store.registerConnection({ connection: built, setup, audit });
  if (status === 'REGISTERED') return registered;
  const active = await store.updateConnection({ connection: registered, to: 'ACTIVE', audit });
  if (status === 'ACTIVE') return active;
  return store.updateConnection({ connection: active, to: 'REVOKED', audit });
}

describe('example-worker handler', () => {
  it('calls GetCallerIdentity in the customer account, signed with broker-vended credentials', async () => {
    // Prepare
    const target = await connection('ACTIVE');
    // Act
    const result = await invoke({ customerId: target.customerId, accountId: target.accountId });
    // Assess: STS answers the customer's assumed-role identity only to a key it issued for that role
    const assumed = granted.at(-1);
    expect(assumed).toMatchObject({
      roleArn: `arn:aws:iam::${target.accountId}:role/KeylessAccess`,
      externalId: 'keyless-acme-corp-9f86d081884c7d659a2feaa0c55ad015',
      sourceIdentity: 'keyless-example-worker',
      durationSeconds: 3600,
    });
    expect(result).toEqual({
      status: 'done',
      account: target.accountId,
      arn: `arn:aws:sts::${target.accountId}:assumed-role/KeylessAccess/${assumed?.sessionName}`,
    });
  });

  it('reuses the cached session on the next invocation of the same environment', async () => {
    const target = await connection('ACTIVE');
    await invoke({ customerId: target.customerId, accountId: target.accountId });
    const before = granted.length;
    await invoke({ customerId: target.customerId, accountId: target.accountId });
    expect(granted.length).toBe(before);
  });

  it('drops the work with a reason once the connection is revoked', async () => {
    const target = await connection('REVOKED');
    await expect(invoke({ customerId: target.customerId, accountId: target.accountId })).resolves.toEqual({
      status: 'skipped',
      reason: 'ConnectionRevokedError',
    });
  });

  it('drops the work when the customer role denies AssumeRole', async () => {
    // Prepare: the role in the customer account trusts another External ID than the connection's
    const target = await connection('ACTIVE', {
      roleExternalId: 'keyless-acme-corp-ffffffffffffffffffffffffffffffff',
    });
    await expect(invoke({ customerId: target.customerId, accountId: target.accountId })).resolves.toEqual({
      status: 'skipped',
      reason: 'AssumeRoleDeniedError',
    });
  });

  it('throws while validation is pending, so Lambda retries the event later', async () => {
    const target = await connection('REGISTERED');
    await expect(
      invoke({ customerId: target.customerId, accountId: target.accountId }),
    ).rejects.toBeInstanceOf(ValidationPendingError);
  });

  it('refuses an event without a valid account id', async () => {
    await expect(invoke({ customerId: 'acme', accountId: 'nope' })).rejects.toBeInstanceOf(ValidationError);
  });
});
