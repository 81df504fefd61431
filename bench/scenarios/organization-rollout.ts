/**
 * An organization onboarded all at once through the local system (issue 15; docs/architecture.md
 * §9.7): 1,000 member accounts whose stack instances the simulated StackSet deploys all at once
 * (far beyond every cap: the callback reserves 10, an organization's share of the validator is 34),
 * as automatic deployment deploys accounts that join together, against the functions' reserved
 * concurrency. One process holds both ends of a thousand stacks' connections: it needs about
 * 2,500 open files (`ulimit -n`, checked by the worker), and the endpoint's listen backlog and the
 * simulated stacks' retried connections absorb the burst (docs/architecture.md §8). Reports the
 * time until every account is ACTIVE, callbacks and AssumeRole calls per account and the peak
 * concurrency of the callback and the validator; the baseline is 20 accounts of another
 * organization deployed one at a time, in the same run.
 */
import { runInChild } from '../harness/child.ts';
import type { BenchOptions } from '../harness/options.ts';
import { ratio, round } from '../harness/stats.ts';
import { type Column, formatTable } from '../harness/table.ts';
import type { RolloutFigures } from './organization-rollout-run.ts';
import type { RolloutInput, RolloutOutput } from './organization-rollout-worker.ts';

const WORKER = new URL('./organization-rollout-worker.ts', import.meta.url);

export async function runOrganizationRollout({
  quick,
  verbose,
}: BenchOptions): Promise<{ result: RolloutOutput; report: string }> {
  const input: RolloutInput = quick
    ? { accounts: 200, concurrency: 200, baselineAccounts: 10 }
    : { accounts: 1_000, concurrency: 1_000, baselineAccounts: 20 };
  const result = await runInChild<RolloutInput, RolloutOutput>(WORKER, input, {
    env: { POWERTOOLS_LOG_LEVEL: 'WARN' },
    quiet: !verbose,
    timeoutMs: 3_600_000,
  });
  const { measured, baseline } = result;
  for (const run of [baseline, measured]) {
    if (run.instancesFailed > 0 || run.statuses.ACTIVE !== run.accounts)
      throw new Error(`${run.instancesFailed} of ${run.accounts} instances failed, e.g. ${run.failures[0]}`);
  }
  const perSecond = (r: RolloutFigures) => (r.accounts / r.wallMs) * 1000;
  const rows = [
    { label: `${measured.accounts} accounts, ${measured.concurrency} at once`, run: measured },
    { label: `${baseline.accounts} accounts one at a time`, run: baseline },
  ];
  const columns: Column<(typeof rows)[number]>[] = [
    { header: 'rollout', value: (r) => r.label },
    { header: 'until all ACTIVE s', value: (r) => round(r.run.wallMs / 1000) },
    { header: 'accounts/s', value: (r) => round(perSecond(r.run)) },
    { header: 'ACTIVE', value: (r) => r.run.statuses.ACTIVE ?? 0 },
    { header: 'failed', value: (r) => r.run.instancesFailed },
    { header: 'callbacks/account', value: (r) => round(r.run.callbacksPerAccount) },
    { header: 'AssumeRole/account', value: (r) => round(r.run.assumeRolesPerAccount) },
    {
      header: 'callback peak / reserved',
      value: (r) => `${r.run.callback.peakConcurrency} / ${r.run.callback.reservedConcurrency ?? '–'}`,
    },
    { header: 'callback throttles', value: (r) => r.run.callback.throttles },
    {
      header: 'validator peak / reserved',
      value: (r) => `${r.run.validator.peakConcurrency} / ${r.run.validator.reservedConcurrency ?? '–'}`,
    },
    { header: 'pages', value: (r) => r.run.pages },
  ];
  const report = [
    formatTable(
      `Organization rollout through the local system: ${measured.accounts} accounts, ${measured.concurrency} instances at once (baseline: ${baseline.accounts}, one at a time)`,
      columns,
      rows,
    ),
    `Headline: ${measured.accounts} of ${measured.accounts} ACTIVE in ${round(measured.wallMs / 1000)} s, ` +
      `${round(perSecond(measured))} accounts/s, ${ratio(perSecond(measured), perSecond(baseline))} the one-at-a-time baseline; ` +
      `callback peak ${measured.callback.peakConcurrency} of ${measured.callback.reservedConcurrency} reserved.`,
  ].join('\n');
  return { result, report };
}
