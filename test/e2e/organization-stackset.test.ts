/**
 * An organization onboarded and offboarded through the simulated StackSet (docs/architecture.md
 * §9.7), driven with the CLI as the README does: `deploy-org` with a management account, an
 * account that joins 30 days later (the local system's clock moved on), one that leaves, then
 * `delete-org` and the provider's revocation of the whole organization. The 20 accounts
 * are a flag; 5 keep this quick.
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

const CUSTOMER = 'umbrella-stackset-e2e';
const ORGANIZATION = 'o-umbrella0001';
const MANAGEMENT = '720000000001';
const JOINS_LATER = '720000000099';
const MEMBERS = 5;

let system: RunningLocalSystem;
let stateDir: string;

beforeAll(async () => {
  system = await startLocalSystemProcess();
  stateDir = mkdtempSync(join(tmpdir(), 'keyless-stackset-e2e-'));
});
afterAll(async () => {
  await system?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const api = <T>(method: string, path: string, body?: unknown) =>
  callLocalApi<T>(system.endpoint, method, path, body);

/** `npm run customer -- <args>`, in-process, against the local system. */
const customer = (...args: string[]) => runCustomerCli(system, stateDir, args);

type Connection = { accountId: string; status: string; validatedAt?: string };
async function connections(): Promise<Map<string, Connection>> {
  const { body } = await api<{ connections: Connection[] }>(
    'GET',
    `/customers/${CUSTOMER}/connections?limit=100`,
  );
  return new Map(body.connections.map((c) => [c.accountId, c]));
}
const statuses = async () => Object.fromEntries([...(await connections())].map(([id, c]) => [id, c.status]));
/** The statuses once `done` holds (revocation follows the Delete by an event), or at the deadline. */
const statusesOnce = (done: (s: Record<string, string>) => boolean, timeoutMs?: number) =>
  readUntil(statuses, done, timeoutMs);

describe('an organization through a simulated StackSet', { timeout: 180_000 }, () => {
  let launchUrl: string;
  let members: string[] = [];

  it('deploy-org: every member account and the management account ACTIVE', async () => {
    const offer = await api<{ launchUrl: string }>('POST', '/setups', {
      customerId: CUSTOMER,
      scope: 'organization',
      organizationId: ORGANIZATION,
    });
    expect(offer.status).toBe(201);
    launchUrl = offer.body.launchUrl;
    const run = await customer(
      'deploy-org',
      '--launch-url',
      launchUrl,
      '--org',
      ORGANIZATION,
      '--accounts',
      String(MEMBERS),
      '--management-account',
      MANAGEMENT,
    );
    expect(run.code, run.all).toBe(0);
    expect(run.out).toContain(`${MEMBERS} of ${MEMBERS} instances CREATE_COMPLETE.`);
    members = [...run.out.matchAll(/^ {2}(\d{12}) {2}CREATE_COMPLETE$/gm)].map((m) => m[1] as string);
    expect(members).toHaveLength(MEMBERS);
    const connected = await connections();
    expect(connected.size).toBe(MEMBERS + 1);
    for (const accountId of [MANAGEMENT, ...members])
      expect(connected.get(accountId)).toMatchObject({ status: 'ACTIVE' });
    // The customer's summary counts them per organization and per template version.
    const summary = await api<{
      connections: { byOrganization: Record<string, number>; byTemplateVersion: Record<string, number> };
    }>('GET', `/customers/${CUSTOMER}`);
    expect(summary.body.connections.byOrganization).toEqual({ [ORGANIZATION]: MEMBERS + 1 });
    expect(summary.body.connections.byTemplateVersion).toEqual({ '1': MEMBERS + 1 });
  });

  it('org-join 30 days later: the new account ACTIVE, long after the setup’s 7 days', async () => {
    const run = await customer(
      'org-join',
      '--org',
      ORGANIZATION,
      '--account',
      JOINS_LATER,
      '--days-later',
      '30',
    );
    expect(run.code, run.all).toBe(0);
    const clock = await api<{ now: string; offsetMs: number }>('GET', '/_local/clock');
    expect(clock.body.offsetMs).toBe(30 * 86_400_000);
    const joined = (await connections()).get(JOINS_LATER);
    expect(joined).toMatchObject({ status: 'ACTIVE' });
    // Validated by the system's clock, a month on: past any setup's 7 days.
    expect(Date.parse(joined?.validatedAt ?? '')).toBeGreaterThan(Date.now() + 29 * 86_400_000);
  });

  it('org-leave: StackSets deletes its instance, and that one connection is REVOKED', async () => {
    const leaving = members[0] as string;
    const run = await customer('org-leave', '--org', ORGANIZATION, '--account', leaving);
    expect(run.code, run.all).toBe(0);
    const after = await statusesOnce((s) => s[leaving] === 'REVOKED');
    expect(after[leaving]).toBe('REVOKED');
    expect(Object.values(after).filter((s) => s === 'ACTIVE')).toHaveLength(MEMBERS + 1);
  });

  it('delete-org: every instance deleted and revoked; the management account keeps its own stack', async () => {
    const run = await customer('delete-org', '--org', ORGANIZATION);
    expect(run.code, run.all).toBe(0);
    expect(run.out).toMatch(/StackSet .* deleted \(5 instances\)/);
    const gone = [...members, JOINS_LATER];
    const after = await statusesOnce((s) => gone.every((accountId) => s[accountId] === 'REVOKED'));
    for (const accountId of gone) expect(after[accountId]).toBe('REVOKED');
    expect(after[MANAGEMENT]).toBe('ACTIVE');
  });

  it('the provider revokes what is left of the organization at once', async () => {
    const path = `/customers/${CUSTOMER}/organizations/${ORGANIZATION}/revoke`;
    const first = await api<{ revoked: number; accountIds: string[] }>('POST', path);
    expect(first).toMatchObject({ status: 200, body: { revoked: 1, accountIds: [MANAGEMENT] } });
    expect(Object.values(await statuses()).every((s) => s === 'REVOKED')).toBe(true);
    const again = await api<{ revoked: number; members: number }>('POST', path);
    expect(again).toMatchObject({ status: 200, body: { revoked: 0, members: MEMBERS + 2 } });
    const unknown = await api('POST', `/customers/${CUSTOMER}/organizations/o-nobody00001/revoke`);
    expect(unknown.status).toBe(404);
  });
});
