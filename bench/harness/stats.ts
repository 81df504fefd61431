/** Small, exact statistics over recorded samples (no histograms, no sampling). */

/** The nearest-rank percentile (0 < p ≤ 100) of already sorted samples. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function summarize(samples: ArrayLike<number>): { count: number; p50: number; p99: number } {
  const sorted = Float64Array.from(samples).sort();
  return { count: sorted.length, p50: percentileOfSorted(sorted, 50), p99: percentileOfSorted(sorted, 99) };
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Rounds for display and for results.json: 2 significant digits below 1, 2 decimals below 10, 1 below 1000, none above. */
export function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const abs = Math.abs(value);
  if (abs < 1) return Number(value.toPrecision(2));
  const decimals = abs >= 1000 ? 0 : abs >= 10 ? 1 : 2;
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** A headline figure against its baseline from the same run, to two significant digits: `3.5×`, `0.0026×`. */
export function ratio(value: number, baseline: number): string {
  if (baseline === 0) return value === 0 ? '1×' : '∞×';
  const r = value / baseline;
  return r >= 100 ? `${Math.round(r)}×` : `${Number(r.toPrecision(2))}×`;
}
