/**
 * Effective permissions, end to end on the local system (docs/architecture.md §9.4), driven by the
 * commands the README gives: a deploy into an account whose SCP denies a required action fails
 * naming the action and the layer; an SCP added later, and a customer's hand edit, show as drift
 * after the daily re-validation, once, and are restored once removed; a resource control policy on
 * an action the config probes, which the policy simulator cannot see, shows the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmRunAgainst, type RunningLocalSystem, startLocalSystemProcess } from '../support/local-system.ts';

let system: RunningLocalSystem;
let work: string;

beforeAll(async () => {
  system = await startLocalSystemProcess();
  work = mkdtempSync(join(tmpdir(), 'keyless-drift-'));
});
afterAll(async () => {
  await system?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `npm run <script> -- <args>` against the running system. */
const npmRun = (script: string, args: string[]) => npmRunAgainst(system.endpoint, script, args);
const customer = (args: string[]) => npmRun('customer', [...args, '--state-dir', join(work, 'stacks')]);

async function launchUrlFor(customerId: string): Promise<string> {
  const response = await fetch(`${system.endpoint}/setups`, {
    method: 'POST',
    body: JSON.stringify({ customerId }),
    headers: { 'content-type': 'application/json' },
  });
  return ((await response.json()) as { launchUrl: string }).launchUrl;
}
type View = {
  status: string;
  lastError?: string;
  permissions?: { missing: { action: string; layer: string }[]; optionalMissing: unknown[] };
};
async function connection(customerId: string, accountId: string): Promise<View | undefined> {
  const response = await fetch(`${system.endpoint}/customers/${customerId}/connections`);
  const { connections } = (await response.json()) as { connections: (View & { accountId: string })[] };
  return connections.find((c) => c.accountId === accountId);
}
async function events(type: string): Promise<number> {
  const { events } = (await (await fetch(`${system.endpoint}/_local/stats`)).json()) as {
    events: Record<string, number>;
  };
  return events[type] ?? 0;
}
const revalidate = async () => {
  const run = await npmRun('invoke', ['role-validator', 'events/eventbridge/revalidation-schedule.json']);
  expect(run.code, run.output).toBe(0);
};
async function onboard(customerId: string, accountId: string) {
  const deployed = await customer([
    'deploy',
    '--launch-url',
    await launchUrlFor(customerId),
    '--account',
    accountId,
  ]);
  expect(deployed.code, deployed.output).toBe(0);
  const view = await connection(customerId, accountId);
  expect(view).toMatchObject({ status: 'ACTIVE', permissions: { missing: [], optionalMissing: [] } });
  expect(view?.permissions).not.toHaveProperty('unchecked');
}

/**
 * What a customer's guardrail does to an ACTIVE connection over time: `add` (a CLI command) makes
 * the next re-validations record `missing` and announce Permissions Drifted once, while the
 * connection stays ACTIVE; `remove` makes the next one record nothing missing and announce
 * Permissions Restored once.
 */
async function driftsThenRestores(
  [customerId, accountId]: [string, string],
  { add, remove, missing }: { add: string[]; remove: string[]; missing: { action: string; layer: string }[] },
) {
  const drifted = await events('Permissions Drifted');
  const restored = await events('Permissions Restored');
  const added = await customer(add);
  expect(added.code, added.output).toBe(0);
  await revalidate();
  await revalidate();
  expect(await connection(customerId, accountId)).toMatchObject({
    status: 'ACTIVE',
    permissions: { missing },
  });
  expect(await events('Permissions Drifted')).toBe(drifted + 1);
  const removed = await customer(remove);
  expect(removed.code, removed.output).toBe(0);
  await revalidate();
  expect(await connection(customerId, accountId)).toMatchObject({
    status: 'ACTIVE',
    permissions: { missing: [] },
  });
  expect(await events('Permissions Restored')).toBe(restored + 1);
  return added;
}

describe('effective permissions on the local system', () => {
  it('fails a deploy into an account whose SCP denies a required action, naming the action and the layer', async () => {
    const deployed = await customer([
      'deploy',
      '--launch-url',
      await launchUrlFor('scp-at-onboarding'),
      '--account',
      '121212121212',
      '--deny-actions',
      'ssm:GetParameter',
    ]);
    expect(deployed.code).toBe(1);
    expect(deployed.output).toMatch(
      /CREATE_FAILED: ssm:GetParameter is denied by a service control policy in this account: ask your AWS administrator to allow it for role KeylessAccess\./,
    );
    expect(await connection('scp-at-onboarding', '121212121212')).toMatchObject({
      status: 'FAILED',
      lastError: expect.stringContaining('ssm:GetParameter is denied by a service control policy'),
      permissions: { missing: [{ action: 'ssm:GetParameter', layer: 'scp-deny' }] },
    });
  }, 120_000);

  it('shows an SCP added later as drift, once, and its removal as restored, once', async () => {
    await onboard('scp-later', '343434343434');
    await driftsThenRestores(['scp-later', '343434343434'], {
      add: ['set-scp', '--account', '343434343434', '--deny-actions', 'ssm:GetParameters'],
      remove: ['set-scp', '--account', '343434343434', '--deny-actions', ''],
      missing: [{ action: 'ssm:GetParameters', layer: 'scp-deny' }],
    });
  }, 120_000);

  it("catches a customer's hand edit of the role's policy the same way", async () => {
    await onboard('hand-edit', '565656565656');
    const drifted = await events('Permissions Drifted');
    const edit = await customer([
      'edit-role-policy',
      '--account',
      '565656565656',
      '--remove-actions',
      'dynamodb:DescribeTable',
    ]);
    expect(edit.code, edit.output).toBe(0);
    await revalidate();
    expect(await connection('hand-edit', '565656565656')).toMatchObject({
      status: 'ACTIVE',
      permissions: { missing: [{ action: 'dynamodb:DescribeTable', layer: 'identity-no-allow' }] },
    });
    expect(await events('Permissions Drifted')).toBe(drifted + 1);
  }, 120_000);

  it('shows a resource control policy on a probed action as drift in its layer, once, and its removal as restored', async () => {
    await onboard('rcp-later', '787878787878');
    // SSM is not under RCPs: an RCP could never deny it, and the local one says so.
    const refused = await customer([
      'set-rcp',
      '--account',
      '787878787878',
      '--deny-actions',
      'ssm:GetParameter',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/Resource control policies do not apply to ssm:GetParameter/);
    // keyless.config.json probes dynamodb:DescribeTable: the simulator allows it, the probe is refused.
    await driftsThenRestores(['rcp-later', '787878787878'], {
      add: ['set-rcp', '--account', '787878787878', '--deny-actions', 'dynamodb:DescribeTable'],
      remove: ['set-rcp', '--account', '787878787878', '--deny-actions', ''],
      missing: [{ action: 'dynamodb:DescribeTable', layer: 'rcp-deny' }],
    });
  }, 120_000);

  it("shows a table's resource-based policy denying the probed action as drift in its layer, and its deletion as restored", async () => {
    await onboard('table-policy', '797979797979');
    // A table's policy takes DynamoDB actions only.
    const refused = await customer([
      'put-table',
      '--account',
      '797979797979',
      '--table',
      'keyless-permission-probe',
      '--deny-actions',
      'ssm:GetParameter',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/--deny-actions/);
    // The probe of keyless.config.json meets the table it names when there is no such table.
    const table = ['--account', '797979797979', '--table', 'keyless-permission-probe'];
    const put = await driftsThenRestores(['table-policy', '797979797979'], {
      add: ['put-table', ...table, '--deny-actions', 'dynamodb:DescribeTable'],
      remove: ['delete-table', ...table],
      missing: [{ action: 'dynamodb:DescribeTable', layer: 'resource-policy-deny' }],
    });
    expect(put.output).toMatch(/denies dynamodb:DescribeTable to every principal/);
  }, 120_000);
});
