/**
 * Answers to CloudFormation custom-resource requests: the JSON body (≤ 4096 bytes, Reason
 * truncated to fit) and its delivery, an HTTP PUT to the pre-signed ResponseURL with an explicitly
 * empty Content-Type (anything else breaks the S3 signature), retried with backoff and jitter.
 * The sender re-checks the allow-list itself, so no caller can make it send anywhere else.
 */
import { backoffDelay, sleep as defaultSleep } from '../backoff.ts';
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

export type AnswerDelivery =
  | { delivered: true; attempts: number; status: number }
  | { delivered: false; attempts: number; status?: number; error: string };

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
}: AnswerSenderOptions): AnswerSender {
  return {
    async send(responseUrl, answer) {
      const verdict = policy(responseUrl);
      if (!verdict.allowed) {
        return { delivered: false, attempts: 0, error: `ResponseURL refused: ${verdict.reason}` };
      }
      const body = serializeAnswer(answer);
      const target = new URL(responseUrl).href;
      let last: AnswerDelivery = { delivered: false, attempts: 0, error: 'not sent' };
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
          last = {
            delivered: false,
            attempts: attempt,
            status: response.status,
            error: `HTTP ${response.status}`,
          };
          if (!isRetryableStatus(response.status)) return last;
        } catch (error) {
          last = {
            delivered: false,
            attempts: attempt,
            error: error instanceof Error ? error.message : String(error),
          };
        }
      }
      return last;
    },
  };
}
