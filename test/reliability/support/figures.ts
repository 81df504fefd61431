/**
 * The figures a reliability run reports: each test file adds its counts and writes them, in
 * afterAll, to one JSON file per file under KEYLESS_FIGURES_DIR (a temporary directory when
 * unset); `report.ts` adds them up for the soak run and RELIABILITY.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface Figures {
  /** Generated hostile inputs handled. */
  hostileCases: number;
  /** Faults injected (throttling, denials, failed PUTs, failed PutEvents, conditional failures, deadlines). */
  faultsInjected: number;
  /** Connections driven through concurrent, reordered, duplicated lifecycle events. */
  racesRun: number;
  /** Deliveries made in those races (each event 1–3 times). */
  raceDeliveries: number;
  /** Redeliveries of an already handled event, across every handler. */
  redeliveries: number;
  /** Expected records (connections, audit entries, events) missing at the end of a scenario. */
  recordsLost: number;
  /** CloudFormation requests that needed an answer and got none. */
  unansweredRequests: number;
  /** Outbound HTTP requests to a host outside the allow-list. */
  forbiddenOutbound: number;
  /** Outbound HTTP requests observed in total (DynamoDB Local included). */
  outboundObserved: number;
  /** Log lines captured and searched for the canary secret. */
  logLinesChecked: number;
  /** Times the canary secret was found in a log line, an event or a stored item. */
  canaryLeaks: number;
  /** Forged registrations sent from one offer in flood scenarios. */
  floodRegistrations: number;
  /** AssumeRole calls those floods caused, in total. */
  floodAssumeRoleCalls: number;
}

export const emptyFigures = (): Figures => ({
  hostileCases: 0,
  faultsInjected: 0,
  racesRun: 0,
  raceDeliveries: 0,
  redeliveries: 0,
  recordsLost: 0,
  unansweredRequests: 0,
  forbiddenOutbound: 0,
  outboundObserved: 0,
  logLinesChecked: 0,
  canaryLeaks: 0,
  floodRegistrations: 0,
  floodAssumeRoleCalls: 0,
});

export function figuresDirectory(): string {
  return process.env.KEYLESS_FIGURES_DIR ?? join(tmpdir(), 'keyless-reliability-figures');
}

/** Counters for one test file. */
export function createFigures(testFile: string) {
  const figures = emptyFigures();
  const startedAt = Date.now();
  return {
    figures,
    add(key: keyof Figures, count = 1) {
      figures[key] += count;
    },
    /** Writes `<file>.json`: the counts and how long the file took. */
    write() {
      const directory = figuresDirectory();
      mkdirSync(directory, { recursive: true });
      const name = basename(testFile).replace(/\.test\.ts$/, '');
      writeFileSync(
        join(directory, `${name}.json`),
        `${JSON.stringify({ file: name, durationMs: Date.now() - startedAt, ...figures }, null, 2)}\n`,
      );
    },
  };
}
