/** The machine a run came from: what BENCHMARKS.md and results.json quote next to every number. */
import { availableParallelism, cpus, loadavg } from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  node: string;
}

export function machineInfo(): MachineInfo {
  const model = cpus()[0]?.model.trim() || 'unknown';
  return { cpu: model, cores: availableParallelism(), node: process.versions.node };
}

/** The 1-minute load average when the run started: a hint that other work shared the machine. */
export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
