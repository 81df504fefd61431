/** A local HTTP server standing in for CloudFormation's pre-signed ResponseURL: records every request. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_RESPONSE_PATH_PREFIX } from '#local/emulator/response-receiver.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export async function startResponseServer() {
  const requests: RecordedRequest[] = [];
  /** Status codes to answer with, in order; 200 once exhausted. */
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    requests,
    /** A ResponseURL on this server, unique per request id. */
    url: (requestId: string) =>
      `${origin}${LOCAL_RESPONSE_PATH_PREFIX}${encodeURIComponent(requestId)}?X-Amz-Signature=test`,
    /** The JSON answers received for one request id. */
    answersFor: (requestId: string) =>
      requests
        .filter((r) => r.path.startsWith(`${LOCAL_RESPONSE_PATH_PREFIX}${encodeURIComponent(requestId)}?`))
        .map((r) => JSON.parse(r.body) as Record<string, unknown>),
    failNext: (...codes: number[]) => statuses.push(...codes),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
