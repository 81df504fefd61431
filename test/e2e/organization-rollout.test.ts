/**
 * An organization onboarded all at once (docs/architecture.md §9.7, invariant 10): the simulated
 * StackSet deploys every member account's instance at the same moment, as automatic deployment
 * does, against the local system, whose functions keep the reserved concurrency of
 * keyless.config.json (throttled beyond it, throttled events retried as Lambda does). Every
 * connection ends ACTIVE, no instance fails, the callback never runs more copies than it reserves,
 * and `GET …/connections` pages through every account. 60 accounts (pages of 25) keep `npm test`
 * quick;
 * KEYLESS_ROLLOUT_ACCOUNTS=1000 runs the size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollOutOrganization } from '#bench/scenarios/organization-rollout-run.ts';
import { type RunningLocalSystem, startLocalSystemProcess } from '../support/local-system.ts';

const ACCOUNTS = Number(process.env.KEYLESS_ROLLOUT_ACCOUNTS ?? 60);
const PAGE = 25;

let system: RunningLocalSystem;
let stateDir: string;

beforeAll(async () => {
  system = await startLocalSystemProcess();
  stateDir = mkdtempSync(join(tmpdir(), 'keyless-rollout-e2e-'));
});
afterAll(async () => {
  await system?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe(`an organization of ${ACCOUNTS} accounts onboarded at once`, {
  timeout: 30_000 + ACCOUNTS * 600,
}, () => {
  it('ends with every connection ACTIVE, no instance failed, the callback within its reserved concurrency', async () => {
    const figures = await rollOutOrganization({
      endpoint: system.endpoint,
      stateDir,
      customerId: 'globex-rollout-e2e',
      organizationId: 'o-globexroll01',
      accounts: ACCOUNTS,
      concurrency: ACCOUNTS,
      pageSize: PAGE,
    });

    expect(figures.failures, system.output().slice(-4000)).toEqual([]);
    expect(figures.instancesFailed).toBe(0);
    expect(figures.statuses).toEqual({ ACTIVE: ACCOUNTS });
    // Every account seen through the pages (an exact multiple may end with one empty page).
    expect(figures.pages).toBeGreaterThanOrEqual(Math.ceil(ACCOUNTS / PAGE));
    expect(figures.pages).toBeLessThanOrEqual(Math.ceil(ACCOUNTS / PAGE) + 1);
    expect(figures.callback.reservedConcurrency).toBe(10);
    expect(figures.callback.peakConcurrency).toBeLessThanOrEqual(10);
    expect(figures.validator.peakConcurrency).toBeLessThanOrEqual(figures.validator.reservedConcurrency ?? 0);
    // One callback per account: no registration needed a second delivery.
    expect(figures.callbacksPerAccount).toBe(1);
  });
});
