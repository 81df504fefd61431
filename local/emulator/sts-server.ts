/**
 * The local STS (./sts.ts) on an HTTP endpoint of its own, for the tests and benchmarks that need
 * STS and nothing else of the local system: AssumeRole and GetCallerIdentity in STS's query
 * protocol (form-encoded request, XML answer), as the AWS SDKs and CLI speak it. The local
 * system's single endpoint (./endpoint.ts) serves the same STS next to the other services.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { queryList, readBody, sendQueryError, sendQueryResult, signingScope } from './aws-protocol.ts';
import { type LocalSts, StsError } from './sts.ts';

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const INTERNAL_FAILURE = {
  statusCode: 500,
  type: 'Receiver',
  code: 'InternalFailure',
  message: 'The local STS failed to handle the request.',
} as const;

export interface LocalStsServer {
  /** `http://127.0.0.1:<port>`, for an SDK client's `endpoint` or AWS_ENDPOINT_URL_STS. */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startLocalStsServer(
  sts: LocalSts,
  { port = 0 }: { port?: number } = {},
): Promise<LocalStsServer> {
  const server = createServer((request, response) => {
    answer(sts, request, response).catch(() => response.destroy());
  });
  // Longer than any pause of a benchmark's callers, so no reused keep-alive socket is closed under them.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(sts: LocalSts, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // A Date header would make the SDK "correct" a caller's simulated clock back to real time.
  response.sendDate = !sts.usesCallerClock;
  const form = new URLSearchParams((await readBody(request)).toString('utf8'));
  const action = request.method === 'POST' ? form.get('Action') : null;
  try {
    const caller = sts.callerFor(signingScope(request.headers.authorization)?.accessKeyId);
    if (action === 'GetCallerIdentity') {
      return sendQueryResult(response, action, STS_NAMESPACE, sts.getCallerIdentity(caller));
    }
    if (action === 'AssumeRole') {
      const duration = form.get('DurationSeconds');
      const result = await sts.assumeRole(
        caller,
        {
          RoleArn: form.get('RoleArn') ?? '',
          RoleSessionName: form.get('RoleSessionName') ?? '',
          ExternalId: form.get('ExternalId') ?? undefined,
          DurationSeconds: duration === null ? undefined : Number(duration),
          SourceIdentity: form.get('SourceIdentity') ?? undefined,
          Tags: queryList(form, 'Tags').map(({ Key = '', Value = '' }) => ({ Key, Value })),
        },
        (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        signingTime(request),
      );
      return sendQueryResult(response, action, STS_NAMESPACE, {
        SourceIdentity: result.SourceIdentity,
        AssumedRoleUser: result.AssumedRoleUser,
        Credentials: result.Credentials,
      });
    }
    return sendQueryError(response, 400, STS_NAMESPACE, {
      type: 'Sender',
      code: 'InvalidAction',
      message: `Could not find operation ${action ?? '(none)'} for version 2011-06-15`,
    });
  } catch (error) {
    const { statusCode, type, code, message } = error instanceof StsError ? error : INTERNAL_FAILURE;
    return sendQueryError(response, statusCode, STS_NAMESPACE, { type, code, message });
  }
}

/** The SigV4 signing time of a request (`X-Amz-Date: 20260101T120000Z`), in epoch ms. */
function signingTime(request: IncomingMessage): number | undefined {
  const header = request.headers['x-amz-date'];
  const match =
    typeof header === 'string' ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(header) : null;
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as number[];
  return Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
}
