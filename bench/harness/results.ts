/**
 * The shape of `bench/results.json`, exactly as issue 8 gives it, and its writer. Only the
 * top-level keys and the rows named in the issue are fixed; `pipeline` and `reminder` carry
 * their baseline next to the measurement so every headline ratio can be recomputed from the file.
 */

import { writeFile } from 'node:fs/promises';
import type { RolloutOutput } from '../scenarios/organization-rollout-worker.ts';
import type { PermissionCheckResult } from '../scenarios/permission-check.ts';
import type { MachineInfo } from './machine.ts';

export type VendingImpl = 'keyless' | 'sdk-fromTemporaryCredentials' | 'naive';
/**
 * How a row checks revocation: the broker's three modes, or a baseline given one status read per
 * vend (`read-per-vend`) or none (`none`).
 */
export type VendingCheck = 'strict' | 'feed' | 'bounded' | 'read-per-vend' | 'none';

export interface VendingRow {
  impl: VendingImpl;
  concurrency: number;
  /** True when every vend is served from a status read begun after it started (strict, read-per-vend). */
  revocationCheck: boolean;
  check: VendingCheck;
  /** `simulated-2h`: two hours of credential lifetimes compressed into the run; `real`: real time. */
  timeBase: 'simulated-2h' | 'real';
  /** DynamoDB reads (status reads, feed head and entry reads) per 1,000 vends. */
  readsPer1000Vends: number;
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

/** Status reads one broker instance makes per minute, with a working set of `connections`. */
export interface RevocationReadsRow {
  mode: 'strict' | 'feed';
  connections: number;
  vendsPerMinute: number;
  /** Reads in the first minute (every connection seen for the first time) and per minute after. */
  firstMinuteReads: number;
  steadyReadsPerMinute: number;
}

/** Time from the committed REVOKED write to the first refused vend, over several broker processes. */
export interface RevocationVisibilityRow {
  mode: 'strict' | 'feed' | 'bounded';
  boundSeconds: number;
  processes: number;
  p50Ms: number;
  maxMs: number;
}

export interface BenchResults {
  machine: MachineInfo;
  revocationReads?: RevocationReadsRow[];
  revocationVisibility?: RevocationVisibilityRow[];
  singleFlight: SingleFlightResult | null;
  vending: VendingRow[];
  pipeline: PipelineResult | null;
  reminder: ReminderResult | null;
  coldStart: ColdStartRow[];
  permissionCheck?: PermissionCheckResult | null;
  /** Issue 15: an organization onboarded all at once, and its one-at-a-time baseline. */
  organizationRollout?: RolloutOutput;
}

export const RESULTS_FILE = new URL('../results.json', import.meta.url);

export async function writeResults(results: BenchResults, file: URL = RESULTS_FILE): Promise<void> {
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}
