/**
 * The sizes of a reliability run. `npm test` runs the CI size; `npm run test:soak` raises them
 * through the environment (KEYLESS_FUZZ_RUNS, KEYLESS_RACE_CONNECTIONS) and keeps the figures.
 */

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got "${raw}".`);
  return value;
}

/** Hostile inputs generated across the whole suite: at least 10,000 in CI. */
export const FUZZ_RUNS = positive('KEYLESS_FUZZ_RUNS', 10_000);
/** Connections driven through racing, duplicated lifecycle events. */
export const RACE_CONNECTIONS = positive('KEYLESS_RACE_CONNECTIONS', 60);
/** A fixed seed when given (to replay a failure fast-check reported), random otherwise. */
export const FUZZ_SEED = process.env.KEYLESS_FUZZ_SEED ? Number(process.env.KEYLESS_FUZZ_SEED) : undefined;
