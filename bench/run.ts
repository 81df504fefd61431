/**
 * `npm run bench [-- --quick] [-- --only <scenario>]`: runs the benchmarks of issues 8 and 17, prints a
 * table per scenario with each headline figure as a ratio against a baseline measured in the
 * same run, and writes bench/results.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadAverage, machineInfo } from './harness/machine.ts';
import { type BenchOptions, parseOptions, type ScenarioName } from './harness/options.ts';
import { type BenchResults, RESULTS_FILE, writeResults } from './harness/results.ts';
import { runColdStart } from './scenarios/cold-start.ts';
import { runOrganizationRollout } from './scenarios/organization-rollout.ts';
import { runPermissionCheck } from './scenarios/permission-check.ts';
import { runPipeline } from './scenarios/pipeline.ts';
import { runReminder } from './scenarios/reminder.ts';
import { runRevocation } from './scenarios/revocation.ts';
import { runVending } from './scenarios/vending.ts';

type Runner = (options: BenchOptions, results: BenchResults) => Promise<string>;

const RUNNERS: Record<ScenarioName, Runner> = {
  async coldStart(options, results) {
    const { rows, report } = await runColdStart(options);
    results.coldStart = rows;
    return report;
  },
  async reminder(options, results) {
    const { result, report } = await runReminder(options);
    results.reminder = result;
    return report;
  },
  async vending(options, results) {
    // Single flight shares the vending scenario's database and STS; run together when both are asked.
    const { rows, singleFlight, report } = await runVending(options, {
      load: true,
      singleFlight: options.only.includes('singleFlight'),
    });
    results.vending = rows;
    if (singleFlight) results.singleFlight = singleFlight;
    return report;
  },
  async singleFlight(options, results) {
    if (options.only.includes('vending')) return '';
    const { singleFlight, report } = await runVending(options, { load: false, singleFlight: true });
    results.singleFlight = singleFlight ?? null;
    return report;
  },
  async revocation(options, results) {
    // After vending, whose rows of this run (or the previous one) price the cost table.
    const { reads, visibility, report } = await runRevocation(options, results);
    results.revocationReads = reads;
    results.revocationVisibility = visibility;
    return report;
  },
  async permissionCheck(options, results) {
    const { result, report } = await runPermissionCheck(options);
    results.permissionCheck = result;
    return report;
  },
  async organizationRollout(options, results) {
    const { result, report } = await runOrganizationRollout(options);
    results.organizationRollout = result;
    return report;
  },
  async pipeline(options, results) {
    const { result, report } = await runPipeline(options);
    results.pipeline = result;
    return report;
  },
};

function previousResults(): BenchResults | undefined {
  if (!existsSync(RESULTS_FILE)) return undefined;
  try {
    return JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as BenchResults;
  } catch {
    return undefined;
  }
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const machine = machineInfo();
  const partial = options.only.length < Object.keys(RUNNERS).length;
  const results: BenchResults = {
    machine,
    singleFlight: null,
    vending: [],
    pipeline: null,
    reminder: null,
    coldStart: [],
    ...(partial ? previousResults() : undefined),
  };
  results.machine = machine;
  console.log(
    `Keyless benchmarks${options.quick ? ' (--quick: smaller sizes)' : ''} on ${machine.cpu}, ` +
      `${machine.cores} cores, Node ${machine.node}; load average ${loadAverage()} at start.`,
  );
  let failed = false;
  for (const name of options.only) {
    const started = performance.now();
    try {
      const report = await RUNNERS[name](options, results);
      if (!report) continue;
      console.log(report.trimEnd());
      console.log(`  (${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed = true;
      console.error(
        `\n${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
  await writeResults(results);
  console.log(`\nWrote ${RESULTS_FILE.pathname.split('/').slice(-2).join('/')}.`);
  if (failed) process.exitCode = 1;
}

await main();
