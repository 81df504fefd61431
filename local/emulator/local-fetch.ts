/**
 * How the simulated customer side (simulated stacks and StackSets) reaches the local endpoint
 * (docs/architecture.md §8). A StackSet rolled out at high concurrency opens a thousand
 * connections to one local process in the same instant; a connection that fails before any answer
 * (reset, closed by the other side, or not accepted within the connect timeout) is a
 * fault of the harness, not something CloudFormation's own service-side calls suffer in AWS. So
 * it is tried again with backoff, as the AWS SDKs' standard retry mode retries transient network
 * errors (exponential backoff with full jitter from 100 ms). An HTTP answer, whatever its status,
 * is never retried: what the endpoint says is what the stack sees. The local requests retried
 * this way are idempotent or harmless to repeat (a fresh ResponseURL; a forwarded stack event,
 * which EventBridge delivers at least once in AWS too).
 */

/**
 * Error codes of a request that got no answer (Node's sockets and undici, fetch's `cause`). Not
 * ECONNREFUSED: a listening endpoint whose accept queue is full drops the connection attempt (and
 * the client's SYN is sent again) rather than refusing it, so a refusal means that nothing listens,
 * and the CLI says so at once.
 */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** Attempts per request: enough to ride out a burst of a thousand connections. */
export const LOCAL_FETCH_ATTEMPTS = 8;
const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/** The network error code of a failed fetch, when the request got no answer. */
export function transientNetworkCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface LocalFetchOptions {
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** `fetch`, with a request that got no answer tried again (at most `attempts` times in all). */
export async function fetchLocal(
  url: string,
  init?: RequestInit,
  {
    attempts = LOCAL_FETCH_ATTEMPTS,
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random = Math.random,
  }: LocalFetchOptions = {},
): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (attempt >= attempts || transientNetworkCode(error) === undefined) throw error;
      await sleep(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
    }
  }
}
