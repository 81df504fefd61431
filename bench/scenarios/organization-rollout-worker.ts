/**
 * The organization rollout's child process: the whole local system in this process, with the
 * reserved concurrencies of keyless.config.json enforced, then a baseline organization deployed
 * one account at a time and the measured one deployed all at once (organization-rollout-run.ts).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveChild } from '../harness/child.ts';
import type { RolloutFigures } from './organization-rollout-run.ts';

export interface RolloutInput {
  accounts: number;
  /** Instances deployed at once: far beyond every cap (all of them, as automatic deployment does). */
  concurrency: number;
  baselineAccounts: number;
}

export interface RolloutOutput {
  measured: RolloutFigures;
  baseline: RolloutFigures;
}

/**
 * The process's soft limit of open files, where Linux's /proc says it. This one process holds both
 * ends of every simulated stack's connection to the endpoint (about two descriptors per stack
 * waiting for its answer): at 1,000 stacks and the common default of 1,024, connects fail with
 * EMFILE and most instances fail (docs/architecture.md §8). Checked first, so a run that cannot
 * hold its stacks says so at once instead of failing them.
 */
function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft) || undefined;
  } catch {
    return undefined;
  }
}

async function run(input: RolloutInput): Promise<RolloutOutput> {
  const needed = 2 * input.concurrency + 512;
  const limit = openFilesLimit();
  if (limit !== undefined && limit < needed)
    throw new Error(
      `${input.concurrency} stacks at once need about ${needed} open files in one process; the limit is ${limit}: run ulimit -n ${needed} (or more) first.`,
    );
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
