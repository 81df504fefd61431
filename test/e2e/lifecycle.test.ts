/**
 * The whole lifecycle on the local system, started as `npm start` would be and driven from the
 * outside only: the setup API over HTTP, the customer's side as a simulated account (SNS Publish
 * of the custom resource request, the ResponseURL answer), workers through Lambda Invoke, and
 * STS through the SDK.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedAccounts } from '#local/emulator/simulated-stack.ts';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';
import { registerLegacyConnection } from '#shared/legacy/register-legacy-connection.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { callLocalApi, type RunningLocalSystem, startLocalSystemProcess } from '../support/local-system.ts';

const HEALTHY = { customerId: 'acme-e2e', accountId: '111122223333' };
const CARELESS = { customerId: 'globex-e2e', accountId: '444455556666' };
const credentials = { accessKeyId: 'AKIAPROVIDERE2E00000', secretAccessKey: 'e2e' };

let system: RunningLocalSystem;
let stateDir: string;
let accounts: ReturnType<typeof createSimulatedAccounts>;
let lambda: LambdaClient;

beforeAll(async () => {
  system = await startLocalSystemProcess();
  stateDir = mkdtempSync(join(tmpdir(), 'keyless-e2e-'));
  accounts = createSimulatedAccounts({ endpoint: system.endpoint, stateDir });
  lambda = new LambdaClient({ endpoint: system.endpoint, region: system.info.region, credentials });
});

afterAll(async () => {
  await system?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const api = <T>(method: string, path: string, body?: unknown) =>
  callLocalApi<T>(system.endpoint, method, path, body);

type Connection = { accountId: string; status: string; lastError?: string };
const connectionOf = async (customerId: string, accountId: string) =>
  (
    await api<{ connections: Connection[] }>('GET', `/customers/${customerId}/connections`)
  ).body.connections.find((connection) => connection.accountId === accountId);

async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

async function work(customer: typeof HEALTHY) {
  const result = await lambda.send(
    new InvokeCommand({ FunctionName: 'example-worker', Payload: JSON.stringify(customer) }),
  );
  return {
    functionError: result.FunctionError,
    payload: JSON.parse(Buffer.from(result.Payload ?? []).toString()) as Record<string, string>,
  };
}

const assumeRoleCalls = async (roleArn: string) => {
  const stats = (await api<{ assumeRole: Record<string, { granted: number }> }>('GET', '/_local/stats')).body;
  return stats.assumeRole[roleArn]?.granted ?? 0;
};

describe('the Keyless lifecycle on the local system', { timeout: 60_000 }, () => {
  let healthyStack: { stackName: string; roleArn: string };

  it('onboards a customer: the stack completes and the connection is ACTIVE', async () => {
    // Prepare
    const offer = await api<{ launchUrl: string; externalId: string }>('POST', '/setups', {
      customerId: HEALTHY.customerId,
    });
    // Act
    const outcome = await accounts.deploy({ launchUrl: offer.body.launchUrl, accountId: HEALTHY.accountId });
    // Assess
    expect(offer.status).toBe(201);
    expect(outcome, system.output()).toMatchObject({ status: 'CREATE_COMPLETE' });
    healthyStack = { stackName: outcome.stack?.stackName ?? '', roleArn: outcome.stack?.roleArn ?? '' };
    const connection = await eventually(
      () => connectionOf(HEALTHY.customerId, HEALTHY.accountId),
      (c) => c?.status === 'ACTIVE',
    );
    expect(connection?.status).toBe('ACTIVE');
  });

  it('keeps the role closed to the provider without the External ID', async () => {
    const sts = new STSClient({ endpoint: system.endpoint, region: system.info.region, credentials });
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: healthyStack.roleArn, RoleSessionName: 'e2e-probe' })),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });

  it('gives a worker credentials for the customer account, the second time from its cache', async () => {
    // Prepare
    const before = await assumeRoleCalls(healthyStack.roleArn);
    // Act
    const first = await work(HEALTHY);
    const second = await work(HEALTHY);
    // Assess
    expect(first.payload, system.output()).toMatchObject({ status: 'done', account: HEALTHY.accountId });
    expect(second.payload).toMatchObject({ status: 'done', account: HEALTHY.accountId });
    expect(first.payload.arn).toMatch(/^arn:aws:sts::111122223333:assumed-role\/KeylessAccess\//);
    expect((await assumeRoleCalls(healthyStack.roleArn)) - before).toBe(1);
  });

  it('rejects a role that trusts the provider without the External ID, and says why', async () => {
    // Prepare
    const offer = await api<{ launchUrl: string }>('POST', '/setups', { customerId: CARELESS.customerId });
    // Act
    const outcome = await accounts.deploy({
      launchUrl: offer.body.launchUrl,
      accountId: CARELESS.accountId,
      tamper: 'no-external-id',
    });
    // Assess
    expect(outcome.status, system.output()).toBe('CREATE_FAILED');
    expect(outcome.reason).toMatch(/can be assumed without the External ID/);
    expect((await connectionOf(CARELESS.customerId, CARELESS.accountId))?.status).toBe('FAILED');
  });

  it('revokes access when the customer deletes the stack, and the worker is refused', async () => {
    // Act
    const outcome = await accounts.remove({
      accountId: HEALTHY.accountId,
      stackName: healthyStack.stackName,
    });
    const connection = await eventually(
      () => connectionOf(HEALTHY.customerId, HEALTHY.accountId),
      (c) => c?.status === 'REVOKED',
    );
    const refused = await work(HEALTHY);
    // Assess
    expect(outcome.status, system.output()).toBe('DELETE_COMPLETE');
    expect(connection?.status).toBe('REVOKED');
    expect(refused.payload).toEqual({ status: 'skipped', reason: 'ConnectionRevokedError' });
  });

  it('serves a customer still on access keys from Secrets Manager, and reminds them past the grace period', async () => {
    // Prepare: a customer from before Keyless, on keys for 120 days (keys in Secrets Manager).
    const endpoint = { endpoint: system.endpoint, region: system.info.region, credentials };
    await registerLegacyConnection(
      {
        customerId: 'initech-e2e',
        accountId: '777788889999',
        keys: { accessKeyId: 'AKIAINITECHE2E000000', secretAccessKey: 'e2e-secret-not-a-real-key' },
        createdAt: new Date(Date.now() - 120 * 86_400_000).toISOString(),
      },
      {
        store: createConnectionStore({
          client: createDocumentClient(new DynamoDBClient(endpoint)),
          tableName: system.info.table,
        }),
        secretsManager: new SecretsManagerClient(endpoint),
      },
    );
    const scheduled = JSON.parse(
      readFileSync(new URL('../../events/local/scheduled-migration-reminder.json', import.meta.url), 'utf8'),
    );
    // Act
    const result = await lambda.send(
      new InvokeCommand({ FunctionName: 'migration-reminder', Payload: JSON.stringify(scheduled) }),
    );
    const stats = (await api<{ events: Record<string, number> }>('GET', '/_local/stats')).body;
    const legacyWork = await work({ customerId: 'initech-e2e', accountId: '777788889999' });
    // Assess
    expect(JSON.parse(Buffer.from(result.Payload ?? []).toString()), system.output()).toMatchObject({
      reminded: 1,
    });
    expect(stats.events['Migration Reminder Due']).toBe(1);
    expect(legacyWork.payload).toMatchObject({ status: 'done', account: '777788889999' });
  });
});
