/**
 * Lambda's asynchronous invocation, as the local bus and topic use it: once Lambda has the event, a
 * function error is retried as many times as ASYNC_INVOCATION_RETRY_POLICY says. The waits keep the
 * 1 : 2 ratio of Lambda's one and two minutes but are short, so a local run never stalls for minutes.
 */
import { sleep } from '#shared/backoff.ts';
import { ASYNC_INVOCATION_RETRY_POLICY } from '#shared/events/delivery-policy.ts';
import type { InvocationResult } from './functions.ts';

/** Every run of one asynchronous invocation: the first and Lambda's retries. */
export const ASYNC_INVOCATION_ATTEMPTS = 1 + ASYNC_INVOCATION_RETRY_POLICY.retryAttempts;

export async function invokeAsynchronously(
  invoke: () => Promise<InvocationResult>,
  {
    retryDelayMs,
    onAttempt,
  }: { retryDelayMs: number; onAttempt?: (attempt: number, result: InvocationResult) => void },
): Promise<InvocationResult> {
  for (let attempt = 1; ; attempt += 1) {
    const result = await invoke();
    onAttempt?.(attempt, result);
    if (result.ok || attempt >= ASYNC_INVOCATION_ATTEMPTS) return result;
    await sleep(retryDelayMs * attempt);
  }
}
