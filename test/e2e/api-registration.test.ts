/**
 * Onboarding without CloudFormation, end to end on the local system (docs/architecture.md §9.6):
 * a role built by hand (`npm run customer -- create-role`) registered through
 * `POST /setups/{setupId}/registrations` is proven exactly as a stack's is, and its verdict shows in
 * `GET /setups/{setupId}`; a role open to the confused deputy, and one that does not trust the
 * provider, end FAILED with a reason the customer can act on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callLocalApi,
  npmRunAgainst,
  type RunningLocalSystem,
  startLocalSystemProcess,
} from '../support/local-system.ts';

let system: RunningLocalSystem;
let work: string;

beforeAll(async () => {
  system = await startLocalSystemProcess();
  work = mkdtempSync(join(tmpdir(), 'keyless-api-'));
});
afterAll(async () => {
  await system?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const api = <T>(method: string, path: string, body?: unknown) =>
  callLocalApi<T>(system.endpoint, method, path, body);
function npmRunCustomer(args: string[]) {
  return npmRun('customer', [...args, '--state-dir', join(work, 'stacks')]);
}
const npmRun = (script: string, args: string[]) => npmRunAgainst(system.endpoint, script, args);
type SetupView = { registrations: { accountId: string; status: string; source: string; reason?: string }[] };
async function settled(setupId: string, accountId: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api<SetupView>('GET', `/setups/${setupId}`);
    const registration = body.registrations.find((r) => r.accountId === accountId);
    if (registration && registration.status !== 'REGISTERED') return registration;
    if (Date.now() > deadline) return registration;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
async function offer(customerId: string) {
  return (await api<{ setupId: string; externalId: string }>('POST', '/setups', { customerId })).body;
}
async function createRole(accountId: string, externalId: string, tamper?: string) {
  const created = await npmRunCustomer([
    'create-role',
    '--account',
    accountId,
    '--external-id',
    externalId,
    ...(tamper ? ['--tamper', tamper] : []),
  ]);
  expect(created.code, created.output).toBe(0);
  return created.output.trim().split('\n').at(-1) ?? '';
}

describe('registration by API on the local system', () => {
  it('proves a role built without CloudFormation, and a second registration of it changes nothing', async () => {
    const { setupId, externalId } = await offer('initech-api');
    const roleArn = await createRole('131313131313', externalId);
    expect(roleArn).toBe('arn:aws:iam::131313131313:role/KeylessAccess');

    const registered = await api('POST', `/setups/${setupId}/registrations`, { roleArn });
    expect(registered).toEqual({
      status: 202,
      body: { setupId, accountId: '131313131313', status: 'REGISTERED' },
    });
    expect(await settled(setupId, '131313131313')).toMatchObject({ status: 'ACTIVE', source: 'api' });
    const { body } = await api<{ connections: { accountId: string; source: string; status: string }[] }>(
      'GET',
      '/customers/initech-api/connections',
    );
    expect(body.connections).toEqual([
      expect.objectContaining({ accountId: '131313131313', status: 'ACTIVE', source: 'api', roleArn }),
    ]);

    const again = await api('POST', `/setups/${setupId}/registrations`, { roleArn });
    expect(again).toEqual({ status: 200, body: { setupId, accountId: '131313131313', status: 'ACTIVE' } });

    // The provider's revoke API ends it: there is no stack to delete.
    const revoked = await api<{ revoked: boolean }>(
      'POST',
      '/customers/initech-api/connections/131313131313/revoke',
    );
    expect(revoked.body.revoked).toBe(true);
  }, 180_000);

  it('ends FAILED with the confused-deputy reason for a role that needs no External ID', async () => {
    const { setupId, externalId } = await offer('initech-careless');
    const roleArn = await createRole('141414141414', externalId, 'no-external-id');
    expect((await api('POST', `/setups/${setupId}/registrations`, { roleArn })).status).toBe(202);
    expect(await settled(setupId, '141414141414')).toMatchObject({
      status: 'FAILED',
      reason: expect.stringMatching(/can be assumed without the External ID/),
    });
  }, 180_000);

  it('ends FAILED naming AccessDenied for a role that does not trust the provider', async () => {
    const { setupId, externalId } = await offer('initech-stranger');
    const roleArn = await createRole('151515151515', externalId, 'wrong-principal');
    expect((await api('POST', `/setups/${setupId}/registrations`, { roleArn })).status).toBe(202);
    expect(await settled(setupId, '151515151515', 170_000)).toMatchObject({
      status: 'FAILED',
      reason: expect.stringMatching(/AccessDenied/),
    });
  }, 200_000);

  it('marks a role deleted by hand BROKEN at the next re-validation', async () => {
    const { setupId, externalId } = await offer('initech-deleted');
    const roleArn = await createRole('161616161616', externalId);
    await api('POST', `/setups/${setupId}/registrations`, { roleArn });
    expect(await settled(setupId, '161616161616')).toMatchObject({ status: 'ACTIVE' });
    await fetch(`${system.endpoint}/_local/roles?arn=${encodeURIComponent(roleArn)}`, { method: 'DELETE' });
    const lambda = new LambdaClient({
      endpoint: system.endpoint,
      region: system.info.region,
      credentials: { accessKeyId: 'AKIAPROVIDERE2E00000', secretAccessKey: 'e2e' },
    });
    await lambda.send(
      new InvokeCommand({
        FunctionName: 'role-validator',
        Payload: JSON.stringify({ mode: 'revalidate', customerId: 'initech-deleted' }),
      }),
    );
    expect((await settled(setupId, '161616161616'))?.status).toBe('BROKEN');
  }, 180_000);

  it('refuses the worker a role that trusts the validator but not the broker, as AWS would: each provider function is its own principal', async () => {
    const { setupId, externalId } = await offer('umbrella-worker');
    const roleArn = await createRole('242424242424', externalId, 'validator-only');
    await api('POST', `/setups/${setupId}/registrations`, { roleArn });
    // The validator's own role is trusted: the proof holds.
    const settledRegistration = await settled(setupId, '242424242424');
    expect(settledRegistration).toMatchObject({ status: 'ACTIVE' });
    const lambda = new LambdaClient({
      endpoint: system.endpoint,
      region: system.info.region,
      credentials: { accessKeyId: 'AKIAPROVIDERE2E00000', secretAccessKey: 'e2e' },
    });
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: 'example-worker',
        Payload: JSON.stringify({ customerId: 'umbrella-worker', accountId: '242424242424' }),
      }),
    );
    const answer = JSON.parse(Buffer.from(result.Payload ?? []).toString()) as {
      status?: string;
      errorType?: string;
    };
    // The worker calls STS as the broker role, which this role does not trust.
    expect(answer.status).not.toBe('done');
    expect(JSON.stringify(answer)).toMatch(/AssumeRoleDenied/);
  }, 120_000);

  it("marks a role deleted by hand BROKEN through the broker's repeated denials", async () => {
    const { setupId, externalId } = await offer('initech-worker');
    const roleArn = await createRole('232323232323', externalId);
    await api('POST', `/setups/${setupId}/registrations`, { roleArn });
    expect(await settled(setupId, '232323232323')).toMatchObject({ status: 'ACTIVE' });
    await fetch(`${system.endpoint}/_local/roles?arn=${encodeURIComponent(roleArn)}`, { method: 'DELETE' });
    const lambda = new LambdaClient({
      endpoint: system.endpoint,
      region: system.info.region,
      credentials: { accessKeyId: 'AKIAPROVIDERE2E00000', secretAccessKey: 'e2e' },
    });
    // The worker's vends are denied: after three in a row the broker asks the validator to re-check.
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await lambda.send(
        new InvokeCommand({
          FunctionName: 'example-worker',
          Payload: JSON.stringify({ customerId: 'initech-worker', accountId: '232323232323' }),
        }),
      );
      const answer = JSON.parse(Buffer.from(result.Payload ?? []).toString()) as { status?: string };
      expect(answer.status).not.toBe('done');
    }
    const deadline = Date.now() + 60_000;
    let status = (await settled(setupId, '232323232323'))?.status;
    while (status !== 'BROKEN' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await settled(setupId, '232323232323'))?.status;
    }
    expect(status).toBe('BROKEN');
  }, 180_000);

  it('registers on terraform apply of the generated module, and revokes on terraform destroy', async () => {
    const module = join(work, 'module');
    const generated = await npmRun('template', [
      '--format',
      'terraform',
      '--out',
      module,
      '--account',
      system.info.providerAccountId,
      '--stage',
      'local',
      '--regions',
      system.info.region,
    ]);
    expect(generated.code, generated.output).toBe(0);
    const { setupId, externalId } = await offer('initech-terraform');
    const variables = [
      '--var',
      'customer_id=initech-terraform',
      '--var',
      `external_id=${externalId}`,
      '--var',
      `setup_id=${setupId}`,
    ];
    const applied = await npmRunCustomer([
      'terraform',
      'apply',
      '--dir',
      module,
      '--account',
      '181818181818',
      ...variables,
    ]);
    expect(applied.code, applied.output).toBe(0);
    expect(await settled(setupId, '181818181818')).toMatchObject({ status: 'ACTIVE', source: 'terraform' });

    const destroyed = await npmRunCustomer([
      'terraform',
      'destroy',
      '--dir',
      module,
      '--account',
      '181818181818',
    ]);
    expect(destroyed.code, destroyed.output).toBe(0);
    expect((await settled(setupId, '181818181818'))?.status).toBe('REVOKED');
  }, 180_000);
});
