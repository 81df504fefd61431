/**
 * Organization onboarding on the local system (docs/architecture.md §9.7), driven from the
 * outside: an organization setup, two accounts of the simulated organization deployed with it —
 * the second after the setup's expiry, as StackSets' automatic deployment reaches an account that
 * joins later — both ACTIVE and proven members; an account of another organization deployed with
 * the same launch link is refused, CREATE_FAILED naming the membership.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedAccounts } from '#local/emulator/simulated-stack.ts';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';
import { itemKeys } from '#shared/store/table-definition.ts';
import { callLocalApi, type RunningLocalSystem, startLocalSystemProcess } from '../support/local-system.ts';

const CUSTOMER = 'initech-org-e2e';
const ORGANIZATION = 'o-initech0001';
const FIRST = '210000000001';
const JOINS_LATER = '210000000002';
const STRANGER = '310000000003';
const credentials = { accessKeyId: 'AKIAPROVIDERE2E00000', secretAccessKey: 'e2e' };

let system: RunningLocalSystem;
let stateDir: string;
let accounts: ReturnType<typeof createSimulatedAccounts>;

beforeAll(async () => {
  system = await startLocalSystemProcess();
  stateDir = mkdtempSync(join(tmpdir(), 'keyless-org-e2e-'));
  accounts = createSimulatedAccounts({ endpoint: system.endpoint, stateDir });
});
afterAll(async () => {
  await system?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const api = <T>(method: string, path: string, body?: unknown) =>
  callLocalApi<T>(system.endpoint, method, path, body);
/** As `npm run customer -- set-org` does: the account joins the simulated organization. */
const joinOrganization = (accountId: string, organizationId: string) =>
  accounts.setOrganization(accountId, organizationId);

type Connection = { accountId: string; status: string; lastError?: string };
async function settledConnection(accountId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api<{ connections: Connection[] }>('GET', `/customers/${CUSTOMER}/connections`);
    const connection = body.connections.find((c) => c.accountId === accountId);
    if ((connection && connection.status !== 'REGISTERED') || Date.now() > deadline) return connection;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('an organization onboarded through one setup', { timeout: 120_000 }, () => {
  let offer: { setupId: string; launchUrl: string; stackSet: { commands: string[] } };

  it('issues an organization setup with its StackSet commands', async () => {
    const response = await api<typeof offer>('POST', '/setups', {
      customerId: CUSTOMER,
      scope: 'organization',
      organizationId: ORGANIZATION,
    });
    expect(response.status).toBe(201);
    offer = response.body;
    expect(offer.stackSet.commands[1]).toMatch(
      /--permission-model SERVICE_MANAGED --auto-deployment Enabled=true/,
    );
  });

  it('connects an account of the organization', async () => {
    await joinOrganization(FIRST, ORGANIZATION);
    const outcome = await accounts.deploy({ launchUrl: offer.launchUrl, accountId: FIRST });
    expect(outcome, system.output()).toMatchObject({ status: 'CREATE_COMPLETE' });
    expect(await settledConnection(FIRST)).toMatchObject({ status: 'ACTIVE' });
  });

  it('connects an account that joins after the setup expired', async () => {
    // The setup's 7 days are long past when this account joins and StackSets deploys to it.
    const table = createDocumentClient(
      new DynamoDBClient({ endpoint: system.endpoint, region: system.info.region, credentials }),
    );
    await table.send(
      new UpdateCommand({
        TableName: system.info.table,
        Key: itemKeys.setup(CUSTOMER, offer.setupId),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': '2026-01-08T00:00:00.000Z' },
      }),
    );
    await joinOrganization(JOINS_LATER, ORGANIZATION);
    const outcome = await accounts.deploy({ launchUrl: offer.launchUrl, accountId: JOINS_LATER });
    expect(outcome, system.output()).toMatchObject({ status: 'CREATE_COMPLETE' });
    expect(await settledConnection(JOINS_LATER)).toMatchObject({ status: 'ACTIVE' });
  });

  it('refuses an account of another organization that brings the same External ID', async () => {
    await joinOrganization(STRANGER, 'o-globex00001');
    const outcome = await accounts.deploy({ launchUrl: offer.launchUrl, accountId: STRANGER });
    expect(outcome.status, system.output()).toBe('CREATE_FAILED');
    expect(outcome.reason).toMatch(
      new RegExp(
        `Account ${STRANGER} is not a member of organization ${ORGANIZATION} \\(it belongs to o-globex00001\\)`,
      ),
    );
    // Nothing is kept of it but the audit line.
    const { body } = await api<{ connections: Connection[] }>('GET', `/customers/${CUSTOMER}/connections`);
    expect(body.connections.map((c) => c.accountId)).not.toContain(STRANGER);
    const audit = await api<{ entries: { accountId: string; from: string; to: string; reason: string }[] }>(
      'GET',
      `/customers/${CUSTOMER}/audit?accountId=${STRANGER}`,
    );
    expect(audit.body.entries[0]).toMatchObject({
      from: 'REGISTERED',
      to: 'FAILED',
      reason: expect.stringContaining(`Account ${STRANGER} is not a member of organization ${ORGANIZATION}`),
    });
  });
});
