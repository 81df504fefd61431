/**
 * The shape of `bench/results.json`, exactly as issue 8 gives it, and its writer. Only the
 * top-level keys and the rows named in the issue are fixed; `pipeline` and `reminder` carry
 * their baseline next to the measurement so every headline ratio can be recomputed from the file.
 */
import { writeFile } from 'node:fs/promises';
import type { MachineInfo } from './machine.ts';

export type VendingImpl = 'keyless' | 'sdk-fromTemporaryCredentials' | 'naive';

export interface VendingRow {
  impl: VendingImpl;
  concurrency: number;
  revocationCheck: boolean;
  requests: number;
  stsCalls: number;
  vendsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
}

export interface SingleFlightResult {
  concurrentRequests: number;
  stsCalls: number;
}

export interface StageLatency {
  stage: string;
  p50Ms: number;
  p99Ms: number;
}

export interface PipelineResult {
  onboardings: number;
  concurrency: number;
  onboardingsPerSecond: number;
  stages: StageLatency[];
  /** The same pipeline one onboarding at a time, in the same run. */
  baseline: { concurrency: 1; onboardings: number; onboardingsPerSecond: number };
}

export interface ReminderResult {
  connections: number;
  legacyConnections: number;
  /** Legacy connections past the grace period: what the job must find. */
  dueConnections: number;
  job: { itemsRead: number; found: number; ms: number };
  /** A full-table Scan filtered on authMethod, the way the job would work without the sparse index. */
  scanBaseline: { itemsRead: number; found: number; ms: number };
}

export interface ColdStartRow {
  function: string;
  bundleBytes: number;
  initMsBundled: number;
  initMsUnbundled: number;
}

export interface BenchResults {
  machine: MachineInfo;
  singleFlight: SingleFlightResult | null;
  vending: VendingRow[];
  pipeline: PipelineResult | null;
  reminder: ReminderResult | null;
  coldStart: ColdStartRow[];
}

export const RESULTS_FILE = new URL('../results.json', import.meta.url);

export async function writeResults(results: BenchResults, file: URL = RESULTS_FILE): Promise<void> {
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}
