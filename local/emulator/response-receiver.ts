/**
 * The ResponseURL receiver of simulated stacks: stands in for CloudFormation's pre-signed S3 URL.
 * A simulated stack asks for a URL, the provider PUTs its answer there (as it would to S3), and the
 * stack waits for it. Like S3 with a URL that signs only `host`, a PUT that sends a Content-Type
 * is refused with SignatureDoesNotMatch, so the classic `fetch` mistake shows up locally.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createResponseUrlPolicy, type ResponseUrlPolicy } from '#shared/cloudformation/response-url.ts';
import { escapeXml, sendJson } from './aws-protocol.ts';

/** Where the local ResponseURL receiver lives on the local endpoint. */
export const LOCAL_RESPONSE_PATH_PREFIX = '/_local/cloudformation-responses/';

/**
 * The ResponseURL policy of the local runtime and the tests: the production allow-list, plus the
 * one local receiver (that origin, under LOCAL_RESPONSE_PATH_PREFIX) and nothing else. It is
 * passed to the handler factories; production code has no switch that admits it.
 */
export function localResponseUrlPolicy(localOrigin: string): ResponseUrlPolicy {
  const local = new URL(localOrigin);
  if (local.origin === 'null') throw new Error('The local ResponseURL origin must be an http(s) origin.');
  const production = createResponseUrlPolicy();
  return function checkLocalResponseUrl(responseUrl) {
    let url: URL;
    try {
      url = new URL(responseUrl);
    } catch {
      return production(responseUrl);
    }
    if (url.origin !== local.origin || url.username !== '' || url.password !== '')
      return production(responseUrl);
    // URL parsing has already resolved any `..`, so a prefix check cannot be walked out of.
    return url.pathname.startsWith(LOCAL_RESPONSE_PATH_PREFIX)
      ? { allowed: true }
      : { allowed: false, reason: 'the ResponseURL is not the local ResponseURL receiver' };
  };
}

export interface ReceivedResponse {
  body: string;
  receivedAt: string;
}

export type CloudFormationResponses = ReturnType<typeof createCloudFormationResponses>;

const PATH_PREFIX = LOCAL_RESPONSE_PATH_PREFIX;

export function createCloudFormationResponses({ origin }: { origin: () => string }) {
  const received = new Map<string, ReceivedResponse>();
  const waiters = new Map<string, Set<(response: ReceivedResponse) => void>>();

  /** A fresh ResponseURL, shaped like CloudFormation's pre-signed one (expires in two hours). */
  function newResponseUrl(stackId: string, logicalResourceId: string): { id: string; url: string } {
    const id = randomUUID();
    const key = encodeURIComponent(`${stackId}|${logicalResourceId}|${id}`);
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''),
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Expires': '7200',
      'X-Amz-Signature': randomUUID().replaceAll('-', ''),
    });
    return { id, url: `${origin()}${PATH_PREFIX}${id}/${key}?${query}` };
  }

  function waitFor(id: string, timeoutMs: number): Promise<ReceivedResponse | undefined> {
    const existing = received.get(id);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const set = waiters.get(id) ?? new Set();
      const done = (response: ReceivedResponse | undefined) => {
        clearTimeout(timer);
        set.delete(onResponse);
        resolve(response);
      };
      const onResponse = (response: ReceivedResponse) => done(response);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      set.add(onResponse);
      waiters.set(id, set);
    });
  }

  async function handle(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    body: Buffer,
  ): Promise<void> {
    const id = url.pathname.slice(PATH_PREFIX.length).split('/')[0] ?? '';
    if (request.method === 'PUT') {
      const contentType = request.headers['content-type'];
      if (contentType !== undefined && contentType !== '') {
        response.writeHead(403, { 'content-type': 'application/xml' });
        return void response.end(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
            `<Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message>` +
            `<StringToSign>${escapeXml(`content-type ${contentType} was not signed`)}</StringToSign></Error>`,
        );
      }
      const answer = { body: body.toString('utf8'), receivedAt: new Date().toISOString() };
      received.set(id, answer);
      for (const notify of waiters.get(id) ?? []) notify(answer);
      waiters.delete(id);
      response.writeHead(200, { etag: `"${randomUUID().replaceAll('-', '')}"` });
      return void response.end();
    }
    if (request.method === 'GET') {
      // Long poll for the answer: `?waitSeconds=n`.
      const waitSeconds = Math.min(Number(url.searchParams.get('waitSeconds') ?? 0) || 0, 300);
      const answer = await waitFor(id, waitSeconds * 1000);
      if (!answer) return sendJson(response, 404, { message: 'No response yet.' });
      return sendJson(response, 200, answer);
    }
    sendJson(response, 405, { message: 'PUT or GET only.' });
  }

  return { pathPrefix: PATH_PREFIX, newResponseUrl, waitFor, handle };
}
