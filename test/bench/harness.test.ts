import { describe, expect, it } from 'vitest';
import { zipfSequence } from '#bench/harness/random.ts';
import { percentileOfSorted, ratio } from '#bench/harness/stats.ts';
import { maxCallsPerLifetime } from '#bench/scenarios/vending.ts';
import type { AssumeRoleCall } from '#local/emulator/sts.ts';

const MINUTE = 60_000;
const call = (roleArn: string, minute: number): AssumeRoleCall => ({
  roleArn,
  sessionName: 'bench',
  durationSeconds: 3600,
  at: minute * MINUTE,
  expiresAt: (minute + 60) * MINUTE,
});

describe('zipfSequence', () => {
  it('draws the same sequence for the same seed, so every contender sees the same requests', () => {
    expect(zipfSequence({ n: 100, count: 1000, seed: 7 })).toEqual(
      zipfSequence({ n: 100, count: 1000, seed: 7 }),
    );
    expect(zipfSequence({ n: 100, count: 1000, seed: 7 })).not.toEqual(
      zipfSequence({ n: 100, count: 1000, seed: 8 }),
    );
  });

  it('gives the hottest of 100 items about 1/H(100) ≈ 19% of the draws and the coldest about 0.2%', () => {
    const draws = zipfSequence({ n: 100, count: 100_000 });
    const share = (rank: number) => draws.filter((r) => r === rank).length / draws.length;

    expect(share(0)).toBeGreaterThan(0.17);
    expect(share(0)).toBeLessThan(0.22);
    expect(share(99)).toBeLessThan(0.005);
    expect(Math.max(...draws)).toBe(99);
  });
});

describe('maxCallsPerLifetime', () => {
  it('counts the most AssumeRole calls one role got within one window', () => {
    const calls = [call('a', 0), call('a', 55), call('a', 110), call('b', 0), call('b', 10), call('b', 70)];

    expect(maxCallsPerLifetime(calls, 55 * MINUTE)).toBe(2);
    expect(maxCallsPerLifetime(calls.slice(0, 3), 55 * MINUTE)).toBe(1);
  });
});

describe('percentileOfSorted', () => {
  it('returns the nearest-rank percentile', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);

    expect(percentileOfSorted(sorted, 50)).toBe(50);
    expect(percentileOfSorted(sorted, 99)).toBe(99);
    expect(percentileOfSorted(sorted, 100)).toBe(100);
  });
});

describe('ratio', () => {
  it('prints a figure against its baseline', () => {
    expect(ratio(300, 100)).toBe('3×');
    expect(ratio(1, 1000)).toBe('0.001×');
  });
});
