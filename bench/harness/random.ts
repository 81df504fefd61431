/** Seeded randomness, so every contender in a run sees exactly the same request sequence. */

/** mulberry32: a tiny, fast 32-bit PRNG; plenty for workload shapes (not for anything secret). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `count` ranks drawn from a Zipf-like distribution over `n` items (P(rank k) ∝ 1/k^s): with
 * s = 1 and n = 100 the hottest connection gets ~19% of requests and the coldest ~0.2%.
 */
export function zipfSequence({
  n,
  count,
  exponent = 1,
  seed = 42,
}: {
  n: number;
  count: number;
  exponent?: number;
  seed?: number;
}): Uint16Array {
  if (n < 1 || n > 65_536) throw new RangeError('n must be between 1 and 65536');
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / (k + 1) ** exponent;
    cumulative[k] = total;
  }
  const random = seededRandom(seed);
  const sequence = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cumulative[middle] as number) < target) low = middle + 1;
      else high = middle;
    }
    sequence[i] = low;
  }
  return sequence;
}
