/**
 * Lambda's asynchronous invocation, as the local bus and topic use it: once Lambda has the event, a
 * function error is retried as many times as ASYNC_INVOCATION_RETRY_POLICY says. The waits keep the
 * 1 : 2 ratio of Lambda's one and two minutes but are short, so a local run never stalls for minutes.
 *
 * A throttle (the function at its reserved concurrency) is no attempt: Lambda returns the event to
 * its queue and tries again, with waits growing from 1 s to 5 minutes, for up to the event's
 * maximum age of 6 hours
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html). Here the
 * waits grow from THROTTLE_RETRY_BASE_MS to THROTTLE_RETRY_MAX_MS, with jitter.
 */
import { backoffDelay, sleep } from '#shared/backoff.ts';
import { ASYNC_INVOCATION_RETRY_POLICY } from '#shared/events/delivery-policy.ts';
import type { InvocationResult } from './functions.ts';

/** Every run of one asynchronous invocation: the first and Lambda's retries. */
export const ASYNC_INVOCATION_ATTEMPTS = 1 + ASYNC_INVOCATION_RETRY_POLICY.retryAttempts;

export const THROTTLE_RETRY_BASE_MS = 10;
export const THROTTLE_RETRY_MAX_MS = 500;
/** The event's maximum age, for throttles: as deployed (ASYNC_INVOCATION_RETRY_POLICY). */
const MAX_EVENT_AGE_MS = ASYNC_INVOCATION_RETRY_POLICY.maxEventAgeSeconds * 1000;

export async function invokeAsynchronously(
  invoke: () => Promise<InvocationResult>,
  {
    retryDelayMs,
    onAttempt,
  }: { retryDelayMs: number; onAttempt?: (attempt: number, result: InvocationResult) => void },
): Promise<InvocationResult> {
  const queuedAt = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    let result = await invoke();
    for (let throttle = 1; !result.ok && result.throttled; throttle += 1) {
      if (Date.now() - queuedAt > MAX_EVENT_AGE_MS) return result;
      await sleep(
        Math.min(THROTTLE_RETRY_MAX_MS, backoffDelay(THROTTLE_RETRY_BASE_MS, Math.min(throttle, 10))),
      );
      result = await invoke();
    }
    onAttempt?.(attempt, result);
    if (result.ok || attempt >= ASYNC_INVOCATION_ATTEMPTS) return result;
    await sleep(retryDelayMs * attempt);
  }
}
