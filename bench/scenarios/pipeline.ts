/**
 * The onboarding pipeline (issue 8, §3): N customers onboarded end to end through the local
 * system, onboardings per second and per-stage p50/p99, against the same pipeline one
 * onboarding at a time in the same run.
 */
import { runInChild } from '../harness/child.ts';
import type { BenchOptions } from '../harness/options.ts';
import type { PipelineResult } from '../harness/results.ts';
import { ratio, round } from '../harness/stats.ts';
import { type Column, formatTable } from '../harness/table.ts';
import type { PipelineInput, PipelineOutput } from './pipeline-worker.ts';

const WORKER = new URL('./pipeline-worker.ts', import.meta.url);

export async function runPipeline({
  quick,
  verbose,
}: BenchOptions): Promise<{ result: PipelineResult; report: string }> {
  const input: PipelineInput = quick
    ? { onboardings: 20, concurrency: 5, baselineOnboardings: 5 }
    : { onboardings: 100, concurrency: 10, baselineOnboardings: 10 };
  const { measured, baseline } = await runInChild<PipelineInput, PipelineOutput>(WORKER, input, {
    env: { POWERTOOLS_LOG_LEVEL: 'INFO' },
    quiet: !verbose,
  });
  const failures = [...baseline.failures, ...measured.failures];
  if (failures.length) throw new Error(`${failures.length} onboarding(s) failed, e.g. ${failures[0]}`);
  const perSecond = (r: { onboardings: number; wallMs: number }) => round((r.onboardings / r.wallMs) * 1000);
  const result: PipelineResult = {
    onboardings: measured.onboardings,
    concurrency: measured.concurrency,
    onboardingsPerSecond: perSecond(measured),
    stages: measured.stages.map((s) => ({ stage: s.stage, p50Ms: round(s.p50Ms), p99Ms: round(s.p99Ms) })),
    baseline: {
      concurrency: 1,
      onboardings: baseline.onboardings,
      onboardingsPerSecond: perSecond(baseline),
    },
  };
  const rows = measured.stages.map((s, i) => ({ ...s, baseline: baseline.stages[i] }));
  const columns: Column<(typeof rows)[number]>[] = [
    { header: 'stage', value: (r) => r.stage },
    { header: `p50 ms (c${measured.concurrency})`, value: (r) => round(r.p50Ms) },
    { header: `p99 ms (c${measured.concurrency})`, value: (r) => round(r.p99Ms) },
    { header: 'p50 ms (c1)', value: (r) => round(r.baseline?.p50Ms ?? Number.NaN) },
    { header: 'p99 ms (c1)', value: (r) => round(r.baseline?.p99Ms ?? Number.NaN) },
  ];
  const report = [
    formatTable(
      `Onboarding pipeline through the local system: ${measured.onboardings} onboardings, ${measured.concurrency} at a time ` +
        `(baseline: ${baseline.onboardings}, one at a time)`,
      columns,
      rows,
    ),
    `  Headline: ${result.onboardingsPerSecond} onboardings/s at concurrency ${measured.concurrency}, ` +
      `${ratio(result.onboardingsPerSecond, result.baseline.onboardingsPerSecond)} the one-at-a-time baseline ` +
      `(${result.baseline.onboardingsPerSecond}/s).`,
  ].join('\n');
  return { result, report };
}
