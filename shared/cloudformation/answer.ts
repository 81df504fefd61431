/**
 * Answers to CloudFormation custom-resource requests: the JSON body (≤ 4096 bytes, Reason
 * truncated to fit) and its delivery, an HTTP PUT to the pre-signed ResponseURL with an explicitly
 * empty Content-Type (anything else breaks the S3 signature), retried with backoff and jitter.
 * The sender re-checks the allow-list itself, so no caller can make it send anywhere else.
 */
import { backoffDelay, sleep as defaultSleep } from '../backoff.ts';
import type { Subsegment, Tracer } from '../xray/tracer.ts';
import type { ResponseUrlPolicy } from './response-url.ts';

/** CloudFormation's limit on the response object. */
export const MAX_ANSWER_BYTES = 4096;

export interface CloudFormationAnswer {
  Status: 'SUCCESS' | 'FAILED';
  /** Required on FAILED: shown to the customer in their stack events. */
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho?: boolean;
  Data?: Record<string, string>;
}

/** Where an answer goes and what it says: everything needed to answer a request later. */
export interface AnswerTarget {
  responseUrl: string;
  stackId: string;
  requestId: string;
  logicalResourceId: string;
  physicalResourceId: string;
}

const ELLIPSIS = '…';

/**
 * Serialises an answer, truncating Reason (by UTF-8 bytes, on a character boundary) so the body
 * never exceeds 4096 bytes. Throws only if the fixed fields alone are too large, which the request
 * schema's bounds rule out.
 */
export function serializeAnswer(answer: CloudFormationAnswer): string {
  const body = { ...answer, NoEcho: answer.NoEcho ?? false };
  const full = JSON.stringify(body);
  if (Buffer.byteLength(full, 'utf8') <= MAX_ANSWER_BYTES) return full;
  const reason = Array.from(answer.Reason ?? '');
  // Binary search for the longest prefix of Reason that fits.
  let low = 0;
  let high = reason.length;
  const fits = (n: number) =>
    Buffer.byteLength(JSON.stringify({ ...body, Reason: reason.slice(0, n).join('') + ELLIPSIS }), 'utf8') <=
    MAX_ANSWER_BYTES;
  if (!fits(0)) throw new Error('CloudFormation answer exceeds 4096 bytes without its Reason.');
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return JSON.stringify({ ...body, Reason: reason.slice(0, low).join('') + ELLIPSIS });
}

export function successAnswer(target: AnswerTarget, data?: Record<string, string>): CloudFormationAnswer {
  return {
    Status: 'SUCCESS',
    PhysicalResourceId: target.physicalResourceId,
    StackId: target.stackId,
    RequestId: target.requestId,
    LogicalResourceId: target.logicalResourceId,
    NoEcho: false,
    ...(data ? { Data: data } : {}),
  };
}

export function failedAnswer(
  target: AnswerTarget,
  reason: string,
  data?: Record<string, string>,
): CloudFormationAnswer {
  return { ...successAnswer(target, data), Status: 'FAILED', Reason: reason };
}

/** Why an answer was not delivered, for the operator reading the log line. */
export type UndeliveredCause =
  | 'refused-url'
  | 'http-status'
  | 'timeout'
  | 'redirect'
  | 'tls'
  | 'connection'
  | 'other';

export type AnswerDelivery =
  | { delivered: true; attempts: number; status: number }
  | { delivered: false; attempts: number; status?: number; cause: UndeliveredCause; error: string };

export interface AnswerSender {
  send(responseUrl: string, answer: CloudFormationAnswer): Promise<AnswerDelivery>;
}

export interface AnswerSenderOptions {
  /** The allow-list; a URL it refuses is never contacted. */
  policy: ResponseUrlPolicy;
  fetch?: typeof globalThis.fetch;
  sleep?: (ms: number) => Promise<void>;
  maxAttempts?: number;
  baseDelayMs?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Traces each delivery, all its attempts, as one `CloudFormation answer` subsegment (§11). */
  tracer?: Pick<Tracer, 'captureAsyncFunc'>;
}

/** What S3 means by the statuses a pre-signed PUT can meet. */
const S3_STATUS_MEANING: Record<number, string> = {
  400: 'S3 rejected the request',
  403: 'S3 refused the pre-signed URL: it expired (after about 2 hours) or its signature does not match',
  404: 'the response bucket or key does not exist',
  412: 'a precondition failed',
};

const TLS_CODE = /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH)/;
const CONNECTION_CODE = /^(ECONN|ENOTFOUND|EAI_|EHOST|ENETUNREACH|EPIPE|UND_ERR_(SOCKET|CONNECT))/;

/**
 * Names the cause of a failed fetch. Node's fetch reports every network failure as "fetch
 * failed", with the real reason in `cause` (a TLS verification code, a refused redirect, a
 * connection error); a timeout is the AbortSignal's TimeoutError.
 */
export function describeFetchFailure(
  error: unknown,
  timeoutMs: number,
): { cause: UndeliveredCause; error: string } {
  const top = error as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string; name?: string };
  };
  if (top?.name === 'TimeoutError' || top?.cause?.name === 'TimeoutError') {
    return { cause: 'timeout', error: `no answer within ${timeoutMs} ms` };
  }
  const inner = top?.cause;
  const code = inner?.code ?? '';
  const detail = inner?.message ?? top?.message ?? String(error);
  if (/redirect/i.test(detail)) {
    return { cause: 'redirect', error: `redirect refused (a pre-signed S3 PUT never redirects): ${detail}` };
  }
  if (TLS_CODE.test(code)) return { cause: 'tls', error: `TLS: ${code} (${detail})` };
  if (CONNECTION_CODE.test(code))
    return { cause: 'connection', error: `connection failed: ${code} (${detail})` };
  return { cause: 'other', error: inner ? `${top?.message ?? 'fetch failed'}: ${detail}` : detail };
}

/** Status codes worth another try: throttling and server-side errors. */
const isRetryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

export function createAnswerSender({
  policy,
  fetch = globalThis.fetch,
  sleep = defaultSleep,
  maxAttempts = 4,
  baseDelayMs = 250,
  timeoutMs = 5_000,
  tracer,
}: AnswerSenderOptions): AnswerSender {
  /**
   * What the trace keeps of a delivery: the answer's status, the attempts, S3's last status, and
   * the URL's origin only (its query is the pre-signed signature).
   */
  function recordDelivery(
    subsegment: Subsegment | undefined,
    target: URL,
    answer: CloudFormationAnswer,
    delivery: AnswerDelivery,
  ) {
    if (!subsegment) return;
    subsegment.recordRequest('PUT', target.origin);
    subsegment.addAnnotation('answerStatus', answer.Status);
    subsegment.addAnnotation('attempts', delivery.attempts);
    if (delivery.status !== undefined) subsegment.recordResponse(delivery.status);
    if (!delivery.delivered)
      subsegment.addError(Object.assign(new Error(delivery.error), { name: delivery.cause }));
  }

  /** PUTs `body` to `target`, retrying what is worth another try. */
  async function deliverWithRetries(target: string, body: string): Promise<AnswerDelivery> {
    let last: AnswerDelivery = { delivered: false, attempts: 0, cause: 'other', error: 'not sent' };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(backoffDelay(baseDelayMs, attempt - 1));
      try {
        const response = await fetch(target, {
          method: 'PUT',
          // An empty Content-Type, explicitly: fetch would otherwise send text/plain and S3
          // would reject the pre-signed request.
          headers: { 'content-type': '' },
          body,
          // A pre-signed S3 PUT never redirects; following one could lead anywhere.
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return { delivered: true, attempts: attempt, status: response.status };
        const meaning = S3_STATUS_MEANING[response.status];
        last = {
          delivered: false,
          attempts: attempt,
          status: response.status,
          cause: 'http-status',
          error: `HTTP ${response.status}${meaning ? ` (${meaning})` : ''}`,
        };
        if (!isRetryableStatus(response.status)) return last;
      } catch (error) {
        last = { delivered: false, attempts: attempt, ...describeFetchFailure(error, timeoutMs) };
      }
    }
    return last;
  }

  return {
    async send(responseUrl, answer) {
      const verdict = policy(responseUrl);
      if (!verdict.allowed) {
        return {
          delivered: false,
          attempts: 0,
          cause: 'refused-url',
          error: `ResponseURL refused: ${verdict.reason}`,
        };
      }
      const body = serializeAnswer(answer);
      const url = new URL(responseUrl);
      const deliver = async (subsegment: Subsegment | undefined) => {
        const delivery = await deliverWithRetries(url.href, body);
        recordDelivery(subsegment, url, answer, delivery);
        return delivery;
      };
      return tracer ? tracer.captureAsyncFunc('CloudFormation answer', deliver) : deliver(undefined);
    },
  };
}
