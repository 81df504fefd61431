/**
 * Organizational units through the simulated StackSet (docs/architecture.md §9.7), driven with the
 * CLI as the README does: a StackSet that targets one OU (the setup's `organizationalUnitIds`)
 * deploys to the accounts of that OU and of its child OUs, and to no other; Organizations'
 * MoveAccount out of the targeted OU makes StackSets delete that account's instance, whose Delete
 * revokes that one connection; moved back in, the new instance calls back with the setup's External
 * ID, which was issued before the revocation, and is refused as org-join after org-leave is
 * (invariant 9): the connection stays REVOKED.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callLocalApi,
  type RunningLocalSystem,
  readUntil,
  runCustomerCli,
  startLocalSystemProcess,
} from '../support/local-system.ts';

const CUSTOMER = 'initech-ou-e2e';
const ORGANIZATION = 'o-initech0001';
// The simulated root's part is the organization id's first four characters (r-init).
const WORKLOADS = 'ou-init-workloads';
const PRODUCTION = 'ou-init-production';
const SANDBOX = 'ou-init-sandbox01';
const NEWCOMER = '730000000042';
const MEMBERS = 3;

let system: RunningLocalSystem;
let stateDir: string;

beforeAll(async () => {
  system = await startLocalSystemProcess();
  stateDir = mkdtempSync(join(tmpdir(), 'keyless-ou-e2e-'));
});
afterAll(async () => {
  await system?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const api = <T>(method: string, path: string, body?: unknown) =>
  callLocalApi<T>(system.endpoint, method, path, body);

/** `npm run customer -- <args>`, in-process, against the local system. */
const customer = (...args: string[]) => runCustomerCli(system, stateDir, args);

async function statuses(): Promise<Record<string, string>> {
  const { body } = await api<{ connections: { accountId: string; status: string }[] }>(
    'GET',
    `/customers/${CUSTOMER}/connections?limit=100`,
  );
  return Object.fromEntries(body.connections.map((c) => [c.accountId, c.status]));
}
/** The statuses once `done` holds (revocation follows the Delete by an event), or at the deadline. */
const statusesOnce = (done: (s: Record<string, string>) => boolean, timeoutMs?: number) =>
  readUntil(statuses, done, timeoutMs);

describe('organizational units of a StackSet', { timeout: 180_000 }, () => {
  let members: string[] = [];

  it('deploy-org --ou: the accounts of the targeted OU ACTIVE', async () => {
    // The customer's OUs: Workloads (targeted) with Production inside it, and Sandbox beside it.
    for (const [ou, parent] of [
      [WORKLOADS, 'root'],
      [PRODUCTION, WORKLOADS],
      [SANDBOX, 'root'],
    ] as const) {
      const run = await customer('org-create-ou', '--org', ORGANIZATION, '--ou', ou, '--parent', parent);
      expect(run.code, run.all).toBe(0);
    }
    const offer = await api<{ launchUrl: string; stackSet: { commands: string[] } }>('POST', '/setups', {
      customerId: CUSTOMER,
      scope: 'organization',
      organizationId: ORGANIZATION,
      organizationalUnitIds: [WORKLOADS],
    });
    expect(offer.status).toBe(201);
    // The StackSet is created with the setup's own deployment targets.
    expect(offer.body.stackSet.commands[2]).toContain(
      `--deployment-targets OrganizationalUnitIds=${WORKLOADS} `,
    );
    const run = await customer(
      'deploy-org',
      '--launch-url',
      offer.body.launchUrl,
      '--org',
      ORGANIZATION,
      '--accounts',
      String(MEMBERS),
      '--ou',
      WORKLOADS,
    );
    expect(run.code, run.all).toBe(0);
    expect(run.out).toContain(`(targets ${WORKLOADS})`);
    members = [...run.out.matchAll(/^ {2}(\d{12}) {2}CREATE_COMPLETE$/gm)].map((m) => m[1] as string);
    expect(members).toHaveLength(MEMBERS);
    expect(await statuses()).toEqual(Object.fromEntries(members.map((id) => [id, 'ACTIVE'])));
  });

  it('an account in the root or in an OU the StackSet does not target gets no instance', async () => {
    const joined = await customer('org-join', '--org', ORGANIZATION, '--account', NEWCOMER);
    expect(joined.code, joined.all).toBe(0);
    expect(joined.out).toMatch(/in its root, which the StackSet does not target: no stack instance/);
    const moved = await customer('org-move', '--org', ORGANIZATION, '--account', NEWCOMER, '--ou', SANDBOX);
    expect(moved.code, moved.all).toBe(0);
    expect(moved.out).toContain(`moved from r-init to ${SANDBOX}`);
    expect(moved.out).toMatch(/No stack instance change: .* is not under the StackSet's targets/);
    expect((await statuses())[NEWCOMER]).toBeUndefined();
  });

  it('org-move into a child OU of the target: StackSets deploys its instance, ACTIVE', async () => {
    const moved = await customer(
      'org-move',
      '--org',
      ORGANIZATION,
      '--account',
      NEWCOMER,
      '--ou',
      PRODUCTION,
    );
    expect(moved.code, moved.all).toBe(0);
    expect(moved.out).toContain('Under a targeted OU: StackSets deploys its stack instance.');
    expect(moved.out).toMatch(/^CREATE_COMPLETE$/m);
    expect((await statuses())[NEWCOMER]).toBe('ACTIVE');
  });

  it('org-move between OUs under the target changes nothing', async () => {
    const moved = await customer('org-move', '--org', ORGANIZATION, '--account', NEWCOMER, '--ou', WORKLOADS);
    expect(moved.code, moved.all).toBe(0);
    expect(moved.out).toMatch(/its instance stays/);
    expect((await statuses())[NEWCOMER]).toBe('ACTIVE');
  });

  it('org-move out of the targeted OU: its instance deleted, that one connection REVOKED', async () => {
    const leaving = members[0] as string;
    const moved = await customer('org-move', '--org', ORGANIZATION, '--account', leaving, '--ou', SANDBOX);
    expect(moved.code, moved.all).toBe(0);
    expect(moved.out).toContain('Out of every targeted OU: StackSets deletes its stack instance.');
    expect(moved.out).toMatch(/^DELETE_COMPLETE$/m);
    const after = await statusesOnce((s) => s[leaving] === 'REVOKED');
    expect(after).toEqual({
      ...Object.fromEntries(members.map((id) => [id, 'ACTIVE'])),
      [leaving]: 'REVOKED',
      [NEWCOMER]: 'ACTIVE',
    });
  });

  it('org-move back in: a new instance, refused as after org-leave, the connection stays REVOKED', async () => {
    const returning = members[0] as string;
    const moved = await customer(
      'org-move',
      '--org',
      ORGANIZATION,
      '--account',
      returning,
      '--ou',
      WORKLOADS,
    );
    // The instance fails (StackSets marks it OUTDATED); the customer reads why in its stack events.
    expect(moved.code, moved.all).toBe(1);
    expect(moved.out).toMatch(
      new RegExp(
        `CREATE_FAILED: The connection of account ${returning} was revoked at .*: only a launch link issued after the revocation can connect it again`,
      ),
    );
    const after = await statuses();
    expect(after[returning]).toBe('REVOKED');
    expect(Object.values(after).filter((s) => s === 'ACTIVE')).toHaveLength(MEMBERS);
  });

  it('refuses a move to an OU the organization does not have, as MoveAccount does', async () => {
    const moved = await customer(
      'org-move',
      '--org',
      ORGANIZATION,
      '--account',
      members[1] as string,
      '--ou',
      'ou-init-nowhere01',
    );
    expect(moved.code).toBe(1);
    expect(moved.err).toMatch(
      /DestinationParentNotFoundException: ou-init-nowhere01 is neither the root nor an OU/,
    );
  });
});
