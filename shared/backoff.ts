/**
 * Waiting between retries. The answer sender and the event publisher back off exponentially with
 * jitter, so retries from many invocations spread out instead of arriving together.
 */
export { setTimeout as sleep } from 'node:timers/promises';

/** The wait before retry number `retry` (1 is the first): baseDelayMs·2^(retry−1), scaled by 0.5–1.5. */
export const backoffDelay = (baseDelayMs: number, retry: number): number =>
  baseDelayMs * 2 ** (retry - 1) * (0.5 + Math.random());
