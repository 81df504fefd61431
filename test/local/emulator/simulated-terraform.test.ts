/**
 * `customer terraform apply|destroy` (docs/architecture.md §9.5) against a stub of the local
 * endpoint: the role the module's own resources define goes to `/_local/roles`, and the
 * registration reaches Lambda's Invoke API with the `tf` object Terraform's AWS provider adds.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSimulatedTerraform, localFunctionName } from '#local/emulator/simulated-terraform.ts';
import { buildTerraformModule } from '#shared/customer-template/terraform.ts';
import { terraformRegistrationPayloadSchema } from '#shared/onboarding/terraform-payload.ts';

const ACCOUNT = '222222222222';
const SETUP_ID = '0b5e7a9c-6f0e-4c57-9d2e-1a2b3c4d5e6f';
const variables = { customer_id: 'acme-corp', external_id: 'acme-ext-1', setup_id: SETUP_ID };

interface Received {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
}
let server: Server;
let endpoint: string;
let received: Received[] = [];
let failInvocations = false;

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      received.push({ method: request.method ?? '', path: request.url ?? '', body });
      const invoke = request.url?.startsWith('/2015-03-31/functions/');
      response.writeHead(200, {
        'content-type': 'application/json',
        ...(invoke && failInvocations ? { 'x-amz-function-error': 'Unhandled' } : {}),
      });
      response.end(
        JSON.stringify(invoke ? (failInvocations ? { errorMessage: 'refused' } : { status: 'ok' }) : {}),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
  failInvocations = false;
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-module-'));
  const module = buildTerraformModule(
    { providerAccountId: '111111111111', stage: 'prod', regions: ['us-east-1'], templateVersion: 2 },
    { homeRegion: 'us-east-1' },
  );
  for (const [file, text] of Object.entries(module)) writeFileSync(join(dir, file), text);
  const player = createSimulatedTerraform({
    endpoint,
    stateDir: mkdtempSync(join(tmpdir(), 'keyless-state-')),
  });
  return { dir, player };
}
const invocations = () =>
  received
    .filter((request) => request.path.startsWith('/2015-03-31/functions/'))
    .map((request) => ({
      path: request.path,
      payload: terraformRegistrationPayloadSchema.parse(request.body),
    }));

describe('the simulated terraform', () => {
  it('apply creates the role from the module, then sends the create payload', async () => {
    const { dir, player } = setup();
    const outcome = await player.apply({ dir, accountId: ACCOUNT, variables });
    expect(outcome.status).toBe('APPLY_COMPLETE');
    const role = received.find((request) => request.method === 'PUT' && request.path === '/_local/roles');
    expect(role?.body).toMatchObject({
      arn: `arn:aws:iam::${ACCOUNT}:role/KeylessAccess`,
      maxSessionDuration: 3600,
    });
    expect(JSON.stringify(role?.body)).toContain('"sts:ExternalId":"acme-ext-1"');
    expect(invocations()).toEqual([
      {
        path: '/2015-03-31/functions/terraform-registration/invocations',
        payload: {
          customerId: 'acme-corp',
          setupId: SETUP_ID,
          externalId: 'acme-ext-1',
          roleArn: `arn:aws:iam::${ACCOUNT}:role/KeylessAccess`,
          templateVersion: '2',
          tf: { action: 'create', prev_input: null },
        },
      },
    ]);
  });

  it('apply again invokes nothing unchanged, and an update with prev_input when the External ID changes', async () => {
    const { dir, player } = setup();
    await player.apply({ dir, accountId: ACCOUNT, variables });
    received = [];
    expect((await player.apply({ dir, accountId: ACCOUNT, variables })).events).toContain(
      'aws_lambda_invocation.registration: No changes',
    );
    expect(invocations()).toEqual([]);
    await player.apply({ dir, accountId: ACCOUNT, variables: { ...variables, external_id: 'acme-ext-2' } });
    const [update] = invocations();
    expect(update?.payload.externalId).toBe('acme-ext-2');
    expect(update?.payload.tf).toEqual({
      action: 'update',
      prev_input: expect.objectContaining({ externalId: 'acme-ext-1' }),
    });
  });

  it('a new role name replaces the role and updates the registration', async () => {
    const { dir, player } = setup();
    await player.apply({ dir, accountId: ACCOUNT, variables });
    received = [];
    await player.apply({ dir, accountId: ACCOUNT, variables: { ...variables, role_name: 'KeylessReports' } });
    expect(received[0]).toMatchObject({
      method: 'DELETE',
      path: `/_local/roles?arn=${encodeURIComponent(`arn:aws:iam::${ACCOUNT}:role/KeylessAccess`)}`,
    });
    expect(invocations()[0]?.payload.tf?.action).toBe('update');
  });

  it('destroy sends the delete payload while the role exists, then deletes the role', async () => {
    const { dir, player } = setup();
    await player.apply({ dir, accountId: ACCOUNT, variables });
    received = [];
    expect((await player.destroy({ dir, accountId: ACCOUNT })).status).toBe('DESTROY_COMPLETE');
    const [remove] = invocations();
    const { tf, ...input } = remove?.payload ?? {};
    expect(tf).toEqual({ action: 'delete', prev_input: input });
    expect(received.at(-1)?.method).toBe('DELETE');
    expect(player.load(ACCOUNT, dir)).toBeUndefined();
  });

  it('a function error fails the apply and leaves no registration in the state, so the next apply creates again', async () => {
    const { dir, player } = setup();
    failInvocations = true;
    const outcome = await player.apply({ dir, accountId: ACCOUNT, variables });
    expect(outcome).toMatchObject({ status: 'APPLY_FAILED', reason: expect.stringContaining('refused') });
    expect(player.load(ACCOUNT, dir)?.registration).toBeUndefined();
    failInvocations = false;
    received = [];
    await player.apply({ dir, accountId: ACCOUNT, variables });
    expect(invocations()[0]?.payload.tf?.action).toBe('create');
  });

  it('refuses a missing variable before anything is created', async () => {
    const { dir, player } = setup();
    await expect(
      player.apply({ dir, accountId: ACCOUNT, variables: { customer_id: 'acme-corp' } }),
    ).rejects.toThrow(/Variable external_id needs a value/);
    expect(received).toEqual([]);
  });

  it('calls the local terraform-registration function for the module’s ARN', () => {
    expect(
      localFunctionName('arn:aws:lambda:eu-west-1:111111111111:function:keyless-prod-terraform-registration'),
    ).toBe('terraform-registration');
  });
});
