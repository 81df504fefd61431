/**
 * When a pending CloudFormation request must be answered at the latest: within the stack's
 * ServiceTimeout, less a margin, and before its pre-signed ResponseURL expires
 * (docs/architecture.md §7). Pure: the callback stores the deadline with the pending answer, the
 * validator and the validation slots respect it.
 */

/**
 * How long the validator has to answer when the request does not say (no ServiceTimeout in its
 * properties): under the template's default ServiceTimeout (900 s).
 */
export const DEFAULT_ANSWER_WINDOW_MS = 840_000;
/** Kept free before CloudFormation's ServiceTimeout runs out (delivery, clock skew): 10 %, at most 60 s. */
const SERVICE_TIMEOUT_MARGIN_MS = 60_000;

/**
 * How long CloudFormation waits for this request's answer, less a margin: CloudFormation passes
 * the template's `ServiceTimeout` (1–3600 s, as a string) in ResourceProperties. Without a usable
 * value, `fallbackMs`. The value is attacker-controlled, but it can only shorten or lengthen the
 * wait for its own answer, which stays bounded by the 1-hour maximum, the pre-signed URL's expiry
 * and the validator's own invocation time.
 */
export function answerWindowFor(properties: Record<string, unknown> | undefined, fallbackMs: number): number {
  const raw = properties?.ServiceTimeout;
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d{1,4}$/.test(text)) return fallbackMs;
  const timeoutMs = Number(text) * 1000;
  if (timeoutMs < 1000 || timeoutMs > 3_600_000) return fallbackMs;
  return timeoutMs - Math.min(SERVICE_TIMEOUT_MARGIN_MS, timeoutMs / 10);
}

/**
 * When the pending answer must be sent at the latest: within the answer window, and before the
 * pre-signed URL expires (X-Amz-Date + X-Amz-Expires), whichever comes first.
 */
export function answerDeadline(responseUrl: string, receivedAt: Date, windowMs: number): number {
  const byWindow = receivedAt.getTime() + windowMs;
  const params = new URL(responseUrl).searchParams;
  const signedAt = params.get('X-Amz-Date');
  const expires = Number(params.get('X-Amz-Expires'));
  const match = signedAt && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(signedAt);
  if (!match || !Number.isFinite(expires) || expires <= 0) return byWindow;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const byUrl = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) + expires * 1000;
  return Math.min(byWindow, byUrl);
}
