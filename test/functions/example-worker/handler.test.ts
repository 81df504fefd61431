import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ValidationPendingError } from '../../../shared/broker/errors.ts';
import { ValidationError } from '../../../shared/errors.ts';
import { type ConnectionStore, createConnectionStore } from '../../../shared/store/connection-store.ts';
import { buildRoleConnection, buildSetup } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { createContext } from '../../support/lambda-context.ts';
import { startStsStandIn } from './sts-stand-in.ts';

const audit = { actor: 'test', reason: 'test setup' };
let table: Awaited<ReturnType<typeof createTestTable>>;
let sts: Awaited<ReturnType<typeof startStsStandIn>>;
let store: ConnectionStore;
let handler: typeof import('../../../functions/example-worker/handler.ts').handler;

beforeAll(async () => {
  table = await createTestTable();
  sts = await startStsStandIn();
  process.env.TABLE_NAME = table.tableName;
  process.env.AWS_ENDPOINT_URL_STS = sts.endpoint;
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'keyless-example-worker';
  ({ handler } = await import('../../../functions/example-worker/handler.ts'));
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(async () => {
  await sts.close();
  await table.drop();
  delete process.env.AWS_ENDPOINT_URL_STS;
});
beforeEach(() => sts.deny(false));

const invoke = (event: unknown) => handler(event, createContext({ functionName: 'keyless-example-worker' }));

async function connection(status: 'REGISTERED' | 'ACTIVE' | 'REVOKED') {
  const customerId = `worker-${Math.random().toString(36).slice(2, 10)}`;
  const setup = await store.putSetup(buildSetup({ customerId }));
  const registered = await store.registerConnection({
    connection: buildRoleConnection({ customerId }),
    setup,
    audit,
  });
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
    // Assess
    expect(result).toMatchObject({ status: 'done', account: target.accountId });
    const assumed = sts.assumeRoleCalls.at(-1);
    expect(assumed).toMatchObject({
      RoleArn: `arn:aws:iam::${target.accountId}:role/KeylessAccess`,
      ExternalId: 'keyless-acme-corp-9f86d081884c7d659a2feaa0c55ad015',
      SourceIdentity: 'keyless-example-worker',
      DurationSeconds: '3600',
    });
    expect(sts.issuedKeys()).toContain(sts.signedWith.at(-1));
  });

  it('reuses the cached session on the next invocation of the same environment', async () => {
    const target = await connection('ACTIVE');
    await invoke({ customerId: target.customerId, accountId: target.accountId });
    const before = sts.assumeRoleCalls.length;
    await invoke({ customerId: target.customerId, accountId: target.accountId });
    expect(sts.assumeRoleCalls.length).toBe(before);
  });

  it('drops the work with a reason once the connection is revoked', async () => {
    const target = await connection('REVOKED');
    await expect(invoke({ customerId: target.customerId, accountId: target.accountId })).resolves.toEqual({
      status: 'skipped',
      reason: 'ConnectionRevokedError',
    });
  });

  it('drops the work when the customer role denies AssumeRole', async () => {
    const target = await connection('ACTIVE');
    sts.deny(true);
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
