/**
 * Adds up the figures the reliability test files wrote and prints them; with an output path,
 * also writes them there (RELIABILITY.md quotes the last soak run from that file).
 *
 *   tsx test/reliability/report.ts <figures directory> [output.json]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { emptyFigures, type Figures } from './support/figures.ts';

const [directory = '.keyless/reliability', outputPath] = process.argv.slice(2);
const files = readdirSync(directory).filter((name) => name.endsWith('.json'));
if (files.length === 0) {
  console.error(`No figures in ${directory}: run the reliability suite first.`);
  process.exit(1);
}

const totals = emptyFigures();
const perFile: Record<string, number> = {};
for (const name of files) {
  const { file, durationMs, ...counts } = JSON.parse(
    readFileSync(join(directory, name), 'utf8'),
  ) as Figures & {
    file: string;
    durationMs: number;
  };
  perFile[file] = durationMs;
  for (const key of Object.keys(totals) as (keyof Figures)[]) totals[key] += counts[key] ?? 0;
}

const summary = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  settings: {
    KEYLESS_FUZZ_RUNS: process.env.KEYLESS_FUZZ_RUNS ?? '10000',
    KEYLESS_RACE_CONNECTIONS: process.env.KEYLESS_RACE_CONNECTIONS ?? '60',
  },
  figures: totals,
  durationMsPerFile: perFile,
};

const rows: [string, number | string][] = [
  ['hostile cases tried', totals.hostileCases],
  ['faults injected', totals.faultsInjected],
  ['races run (connections)', totals.racesRun],
  ['race deliveries', totals.raceDeliveries],
  ['redeliveries', totals.redeliveries],
  ['records lost', totals.recordsLost],
  ['unanswered CloudFormation requests', totals.unansweredRequests],
  ['forbidden outbound requests', totals.forbiddenOutbound],
  ['outbound requests observed', totals.outboundObserved],
  ['log lines checked for the canary', totals.logLinesChecked],
  ['canary leaks', totals.canaryLeaks],
  ['forged registrations in floods', totals.floodRegistrations],
  ['AssumeRole calls those floods caused', totals.floodAssumeRoleCalls],
  ...Object.entries(perFile).map(([file, ms]): [string, string] => [
    `duration ${file}`,
    `${(ms / 1000).toFixed(1)} s`,
  ]),
];
const width = Math.max(...rows.map(([label]) => label.length));
console.log('\nKeyless reliability figures');
for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
if (outputPath) {
  writeFileSync(outputPath, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`\nWritten to ${outputPath}`);
}
