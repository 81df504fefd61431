import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_RESPONSE_PATH_PREFIX, localResponseUrlPolicy } from '#local/emulator/response-receiver.ts';
import {
  type CloudFormationAnswer,
  createAnswerSender,
  MAX_ANSWER_BYTES,
  serializeAnswer,
} from '#shared/cloudformation/answer.ts';
import { createResponseUrlPolicy } from '#shared/cloudformation/response-url.ts';
import { startResponseServer } from '../../support/response-server.ts';
import { recordingTracer } from '../../support/xray.ts';

let server: Awaited<ReturnType<typeof startResponseServer>>;
beforeAll(async () => {
  server = await startResponseServer();
});
afterAll(() => server.close());

const answer = (overrides: Partial<CloudFormationAnswer> = {}): CloudFormationAnswer => ({
  Status: 'FAILED',
  Reason: 'because',
  PhysicalResourceId: 'keyless-acme-corp-111122223333',
  StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/s/3b0d6a20-0f4e-11ef-9c5e-0a1b2c3d4e5f',
  RequestId: 'r-1',
  LogicalResourceId: 'KeylessRegistration',
  NoEcho: false,
  ...overrides,
});
const noSleep = async () => {};

/** A throw-away self-signed certificate for 127.0.0.1, made with openssl. */
function selfSignedCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('serializeAnswer', () => {
  it('keeps a small answer as it is', () => {
    expect(JSON.parse(serializeAnswer(answer()))).toEqual(answer());
  });

  it.each([
    ['ASCII', 'x'],
    ['multi-byte characters', '€'],
    ['characters JSON escapes', '"\n'],
  ])('truncates an oversized Reason of %s to fit 4096 bytes', (_what, unit) => {
    const body = serializeAnswer(answer({ Reason: unit.repeat(10_000) }));
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    const parsed = JSON.parse(body) as CloudFormationAnswer;
    expect(parsed.Reason?.endsWith('…')).toBe(true);
    expect(parsed.RequestId).toBe('r-1');
  });
});

describe('createAnswerSender', () => {
  it('PUTs the JSON body with an empty Content-Type', async () => {
    const sender = createAnswerSender({
      policy: localResponseUrlPolicy(server.origin),
      sleep: noSleep,
    });
    const result = await sender.send(server.url('put-1'), answer({ RequestId: 'put-1' }));
    expect(result).toEqual({ delivered: true, attempts: 1, status: 200 });
    const [put] = server.requests.filter((r) => r.path.includes('put-1'));
    expect(put?.method).toBe('PUT');
    expect(put?.headers['content-type'] ?? '').toBe('');
    expect(JSON.parse(put?.body ?? '')).toEqual(answer({ RequestId: 'put-1' }));
  });

  it('retries server errors and succeeds', async () => {
    const sender = createAnswerSender({
      policy: localResponseUrlPolicy(server.origin),
      sleep: noSleep,
    });
    server.failNext(503, 500);
    const result = await sender.send(server.url('retry-1'), answer());
    expect(result).toEqual({ delivered: true, attempts: 3, status: 200 });
  });

  it('does not retry a refusal such as an expired signature', async () => {
    const sender = createAnswerSender({
      policy: localResponseUrlPolicy(server.origin),
      sleep: noSleep,
    });
    server.failNext(403);
    const result = await sender.send(server.url('forbidden-1'), answer());
    expect(result).toMatchObject({
      delivered: false,
      attempts: 1,
      status: 403,
      cause: 'http-status',
      error: expect.stringMatching(/HTTP 403 \(S3 refused the pre-signed URL: it expired/),
    });
  });

  describe('names why an answer was not delivered (outside review: "fetch failed" said nothing)', () => {
    /** A server on loopback that answers every request with `handle`. */
    async function serve(
      handle: (req: IncomingMessage, res: ServerResponse) => void,
      tls?: { key: string; cert: string },
    ) {
      const http = tls ? createHttpsServer(tls, handle) : createHttpServer(handle);
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const { port } = http.address() as AddressInfo;
      const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
      return {
        origin,
        url: `${origin}${LOCAL_RESPONSE_PATH_PREFIX}r-1?X-Amz-Signature=test`,
        close: () => {
          http.closeAllConnections();
          return new Promise<void>((resolve) => http.close(() => resolve()));
        },
      };
    }
    const senderFor = (origin: string, timeoutMs = 2_000) =>
      createAnswerSender({
        policy: localResponseUrlPolicy(origin),
        sleep: noSleep,
        maxAttempts: 1,
        timeoutMs,
      });

    it('says a redirect was refused', async () => {
      const target = await serve((_req, res) => {
        res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      });
      const result = await senderFor(target.origin).send(target.url, answer());
      await target.close();
      expect(result).toMatchObject({
        delivered: false,
        cause: 'redirect',
        error: expect.stringMatching(/redirect refused/),
      });
    });

    it('says the receiver did not answer in time', async () => {
      const target = await serve(() => {});
      const result = await senderFor(target.origin, 200).send(target.url, answer());
      await target.close();
      expect(result).toMatchObject({ delivered: false, cause: 'timeout', error: 'no answer within 200 ms' });
    });

    it('names the TLS failure of a certificate it cannot verify', async () => {
      const target = await serve((_req, res) => res.end(), selfSignedCertificate());
      const result = await senderFor(target.origin).send(target.url, answer());
      await target.close();
      expect(result).toMatchObject({
        delivered: false,
        cause: 'tls',
        error: expect.stringMatching(/^TLS: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/),
      });
    });

    it('names a refused connection', async () => {
      const target = await serve((_req, res) => res.end());
      await target.close();
      const result = await senderFor(target.origin).send(target.url, answer());
      expect(result).toMatchObject({
        delivered: false,
        cause: 'connection',
        error: expect.stringMatching(/ECONNREFUSED/),
      });
    });
  });

  it('traces each delivery as one remote subsegment: the origin, the answer, the attempts, the last status', async () => {
    const { tracer, documents } = recordingTracer('registration-callback');
    const sender = createAnswerSender({
      policy: localResponseUrlPolicy(server.origin),
      sleep: noSleep,
      tracer,
    });
    server.failNext(503);
    await sender.send(server.url('traced-1'), answer({ RequestId: 'traced-1', Status: 'SUCCESS' }));
    server.failNext(403);
    await sender.send(
      server.url('traced-2'),
      answer({ RequestId: 'traced-2', Status: 'FAILED', Reason: 'x' }),
    );

    expect(documents).toEqual([
      expect.objectContaining({
        name: 'CloudFormation answer',
        namespace: 'remote',
        http: { request: { method: 'PUT', url: server.origin }, response: { status: 200 } },
        annotations: { answerStatus: 'SUCCESS', attempts: 2 },
      }),
      expect.objectContaining({
        http: { request: { method: 'PUT', url: server.origin }, response: { status: 403 } },
        annotations: { answerStatus: 'FAILED', attempts: 1 },
        error: true,
        cause: { exceptions: [expect.objectContaining({ type: 'http-status' })] },
      }),
    ]);
    expect(documents[1]?.fault).toBeUndefined();
    // Never the pre-signed URL's path or signature.
    expect(JSON.stringify(documents)).not.toMatch(/X-Amz-Signature|traced-1|traced-2/);
  });

  it('never contacts a URL the allow-list refuses', async () => {
    const sender = createAnswerSender({ policy: createResponseUrlPolicy(), sleep: noSleep });
    const result = await sender.send(server.url('refused-1'), answer());
    expect(result).toMatchObject({ delivered: false, attempts: 0 });
    expect(server.requests.filter((r) => r.path.includes('refused-1'))).toEqual([]);
  });
});
