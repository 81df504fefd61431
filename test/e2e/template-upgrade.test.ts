/**
 * A permission change reaching a customer, end to end on the local system (docs/architecture.md
 * §9.3): onboard an account with the config as it is, add an action to `permissions.ongoing`,
 * restart `npm start`, see the connection's upgrade name the action, run
 * `npm run customer -- update`, and see the connection on the new version, ACTIVE, its upgrade gone;
 * one `Template Upgrade Available` before the update and none after.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedAccounts } from '#local/emulator/simulated-stack.ts';
import { npmRunAgainst, type RunningLocalSystem, startLocalSystemProcess } from '../support/local-system.ts';

const CUSTOMER = { customerId: 'initech-upgrade', accountId: '777788889999' };
const ADDED_ACTION = 'ssm:GetParameterHistory';
const credentials = { accessKeyId: 'AKIAPROVIDERE2E00000', secretAccessKey: 'e2e' };

let work: string;
let configFile: string;
let system: RunningLocalSystem | undefined;
const tableName = `keyless-upgrade-${randomUUID()}`;

/** `npm start` on this config, as a developer runs it (records a changed template's version). */
const start = () =>
  startLocalSystemProcess({
    env: { KEYLESS_CONFIG: configFile, CI: 'false' },
    dataDir: join(work, 'data'),
    tableName,
  });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'keyless-upgrade-'));
  configFile = join(work, 'keyless.config.json');
  copyFileSync('keyless.config.json', configFile);
});
afterAll(async () => {
  await system?.stop();
  rmSync(work, { recursive: true, force: true });
});

type ConnectionView = {
  accountId: string;
  status: string;
  templateVersion?: string;
  upgrade?: { fromVersion: string; toVersion: string; changes: string[]; updateCommand: string };
};
async function connection(running: RunningLocalSystem): Promise<ConnectionView | undefined> {
  const response = await fetch(`${running.endpoint}/customers/${CUSTOMER.customerId}/connections`);
  const { connections } = (await response.json()) as { connections: ConnectionView[] };
  return connections.find((c) => c.accountId === CUSTOMER.accountId);
}
async function upgradeNotices(running: RunningLocalSystem): Promise<number> {
  const response = await fetch(`${running.endpoint}/_local/stats`);
  const { events } = (await response.json()) as { events: Record<string, number> };
  return events['Template Upgrade Available'] ?? 0;
}
/** The daily re-validation, invoked as its schedule does. */
async function revalidate(running: RunningLocalSystem) {
  const lambda = new LambdaClient({ endpoint: running.endpoint, region: running.info.region, credentials });
  const result = await lambda.send(
    new InvokeCommand({ FunctionName: 'role-validator', Payload: JSON.stringify({ mode: 'revalidate' }) }),
  );
  expect(result.FunctionError).toBeUndefined();
}
/** `npm run customer -- update …`, as the README gives it. */
const npmRunCustomerUpdate = (running: RunningLocalSystem, stackName: string) =>
  npmRunAgainst(running.endpoint, 'customer', [
    'update',
    '--account',
    CUSTOMER.accountId,
    '--stack',
    stackName,
    '--state-dir',
    join(work, 'stacks'),
  ]);

describe('a permission change reaching a customer', () => {
  it('is offered as an upgrade after a restart, and the update brings the connection onto it', async () => {
    // Onboard with the config as it is.
    system = await start();
    const offer = (await (
      await fetch(`${system.endpoint}/setups`, {
        method: 'POST',
        body: JSON.stringify({ customerId: CUSTOMER.customerId }),
        headers: { 'content-type': 'application/json' },
      })
    ).json()) as { launchUrl: string; stackName: string };
    expect(offer.launchUrl, JSON.stringify(offer)).toBeTypeOf('string');
    const accounts = createSimulatedAccounts({ endpoint: system.endpoint, stateDir: join(work, 'stacks') });
    const deployed = await accounts.deploy({ launchUrl: offer.launchUrl, accountId: CUSTOMER.accountId });
    expect(deployed.status, deployed.events.join('\n')).toBe('CREATE_COMPLETE');
    expect(await connection(system)).toMatchObject({ status: 'ACTIVE', templateVersion: '1' });
    expect(await connection(system)).not.toHaveProperty('upgrade');

    // Add an action to permissions.ongoing, and restart npm start.
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    config.permissions.ongoing.statements[0].Action.push(ADDED_ACTION);
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    await system.stop();
    system = await start();
    expect(system.output()).toContain(`Recorded customer template v2`);
    expect(system.info.templateVersion).toBe(2);

    // The connection's upgrade names the added action; the daily re-validation tells of it once.
    const before = await connection(system);
    expect(before).toMatchObject({
      status: 'ACTIVE',
      templateVersion: '1',
      upgrade: { fromVersion: '1', toVersion: '2', changes: [`Allows ${ADDED_ACTION}`] },
    });
    await revalidate(system);
    await revalidate(system);
    expect(await upgradeNotices(system)).toBe(1);

    // The customer updates the stack.
    const updated = await npmRunCustomerUpdate(system, offer.stackName);
    expect(updated.code, updated.output).toBe(0);
    expect(updated.output).toContain('UPDATE_COMPLETE');

    // On the new version, ACTIVE, the upgrade gone; no further notice.
    expect(await connection(system)).toMatchObject({ status: 'ACTIVE', templateVersion: '2' });
    expect(await connection(system)).not.toHaveProperty('upgrade');
    await revalidate(system);
    expect(await upgradeNotices(system)).toBe(1);
    // The earlier version stays published at its own URL.
    const v1 = await fetch(system.info.templateUrl.replace(/v2\.json$/, 'v1.json'));
    expect(v1.status).toBe(200);
  }, 180_000);
});
