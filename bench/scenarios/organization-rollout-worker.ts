/**
 * The organization rollout's child process: the whole local system in this process, with the
 * reserved concurrencies of keyless.config.json enforced, then a baseline organization deployed
 * one account at a time and the measured one deployed all at once (organization-rollout-run.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveChild } from '../harness/child.ts';
import type { RolloutFigures } from './organization-rollout-run.ts';

export interface RolloutInput {
  accounts: number;
  /** Instances deployed at once: far beyond every cap, below what one process's sockets allow. */
  concurrency: number;
  baselineAccounts: number;
}

export interface RolloutOutput {
  measured: RolloutFigures;
  baseline: RolloutFigures;
}

async function run(input: RolloutInput): Promise<RolloutOutput> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const { startLocalSystem } = await import('#local/emulator/system.ts');
  const { loadProviderConfig } = await import('#shared/provider-config/load.ts');
  const { rollOutOrganization } = await import('./organization-rollout-run.ts');
  const provider = loadProviderConfig('keyless.config.json');
  const system = await startLocalSystem({
    port: 0,
    dataDir: null,
    schedules: false,
    tableName: 'keyless-bench-rollout',
    deployment: provider.deployment,
  });
  const stateDir = await mkdtemp(join(tmpdir(), 'keyless-bench-rollout-'));
  try {
    const rollout = (label: string, accounts: number, concurrency: number) =>
      rollOutOrganization({
        endpoint: system.endpoint,
        stateDir,
        customerId: `bench-rollout-${label}`,
        organizationId: `o-benchroll${label === 'baseline' ? 'b' : 'm'}0`,
        accounts,
        concurrency,
      });
    const baseline = await rollout('baseline', input.baselineAccounts, 1);
    const measured = await rollout('measured', input.accounts, input.concurrency);
    return { measured, baseline };
  } finally {
    await system.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

serveChild(run);
