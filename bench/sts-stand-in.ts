/**
 * A local stand-in for AWS STS, for the vending benchmark: a small HTTP server on 127.0.0.1 that
 * answers AssumeRole in STS's query protocol (form-encoded request, XML answer) after a random
 * 30–80 ms, the way the real service does from inside a region, and counts every call.
 *
 * Time: a credential expires `DurationSeconds` after the caller's own signing time (the SigV4
 * `X-Amz-Date` header), so a caller running on a simulated clock (harness/clock.ts) gets
 * lifetimes on that clock, and two hours of them pass in seconds. The answer carries no `Date`
 * header, so the SDK never "corrects" its clock skew towards real time.
 *
 * It checks what the real service checks first (STS's documented input limits and, when told the
 * roles, the External ID), not IAM: the local runtime has the policy engine for that.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EXTERNAL_ID_PATTERN,
  ROLE_ARN_PATTERN,
  SESSION_DURATION_MAX_SECONDS,
  SESSION_DURATION_MIN_SECONDS,
  SESSION_NAME_PATTERN,
} from '../shared/domain/sts-limits.ts';

export interface StsStandInOptions {
  /** Uniform random service latency per call, in ms. */
  latencyMs?: { min: number; max: number };
  port?: number;
  /** Known roles and their External IDs; a role not listed is assumable with any (or no) External ID. */
  roles?: ReadonlyMap<string, string>;
  /** The roles' MaxSessionDuration (the generated template sets 3600). */
  maxSessionSeconds?: number;
}

export interface AssumeRoleCall {
  roleArn: string;
  sessionName: string;
  /** The caller's signing time (epoch ms): "now" for the credential's lifetime. */
  at: number;
  expiresAt: number;
}

export interface StsStandIn {
  endpoint: string;
  /** Successful AssumeRole calls, in arrival order. */
  calls(): readonly AssumeRoleCall[];
  /** Every request, answered or refused. */
  requestCount(): number;
  reset(): void;
  stop(): Promise<void>;
}

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

class StsError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startStsStandIn({
  latencyMs = { min: 30, max: 80 },
  port = 0,
  roles,
  maxSessionSeconds = 3600,
}: StsStandInOptions = {}): Promise<StsStandIn> {
  let calls: AssumeRoleCall[] = [];
  let requests = 0;

  async function handle(request: IncomingMessage, response: ServerResponse) {
    requests++;
    response.sendDate = false;
    const body = await readBody(request);
    await sleep(latencyMs.min + Math.random() * (latencyMs.max - latencyMs.min));
    try {
      const params = new URLSearchParams(body);
      const action = params.get('Action');
      if (request.method !== 'POST' || action !== 'AssumeRole')
        throw new StsError(400, 'InvalidAction', `Could not find operation ${action ?? '(none)'}.`);
      const call = assumeRole(params, signingTime(request));
      calls.push(call);
      send(response, 200, assumeRoleXml(call, params.get('SourceIdentity')));
    } catch (error) {
      const { statusCode, code, message } =
        error instanceof StsError ? error : new StsError(500, 'InternalFailure', 'Unexpected error.');
      send(response, statusCode, errorXml(statusCode < 500 ? 'Sender' : 'Receiver', code, message));
    }
  }

  function assumeRole(params: URLSearchParams, now: number): AssumeRoleCall {
    const roleArn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    const externalId = params.get('ExternalId');
    const sourceIdentity = params.get('SourceIdentity');
    const duration = Number(params.get('DurationSeconds') ?? 3600);
    if (!ROLE_ARN_PATTERN.test(roleArn))
      throw new StsError(400, 'ValidationError', 'RoleArn is not a valid role ARN.');
    if (!SESSION_NAME_PATTERN.test(sessionName))
      throw new StsError(400, 'ValidationError', 'RoleSessionName must be 2-64 characters of [\\w+=,.@-].');
    if (externalId !== null && !EXTERNAL_ID_PATTERN.test(externalId))
      throw new StsError(400, 'ValidationError', 'ExternalId must be 2-1224 characters of [\\w+=,.@:/-].');
    if (sourceIdentity !== null && !SESSION_NAME_PATTERN.test(sourceIdentity))
      throw new StsError(400, 'ValidationError', 'SourceIdentity must be 2-64 characters of [\\w+=,.@-].');
    if (
      !Number.isInteger(duration) ||
      duration < SESSION_DURATION_MIN_SECONDS ||
      duration > SESSION_DURATION_MAX_SECONDS
    )
      throw new StsError(400, 'ValidationError', 'DurationSeconds must be between 900 and 43200.');
    if (duration > maxSessionSeconds)
      throw new StsError(
        400,
        'ValidationError',
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (${maxSessionSeconds}).`,
      );
    const expected = roles?.get(roleArn);
    if (expected !== undefined && externalId !== expected)
      throw new StsError(
        403,
        'AccessDenied',
        `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    return { roleArn, sessionName, at: now, expiresAt: now + duration * 1000 };
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    calls: () => calls,
    requestCount: () => requests,
    reset() {
      calls = [];
      requests = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The caller's SigV4 signing time (`X-Amz-Date: 20260101T120000Z`), or this process's clock. */
function signingTime(request: IncomingMessage): number {
  const header = request.headers['x-amz-date'];
  const match =
    typeof header === 'string' ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(header) : null;
  if (!match) return Date.now();
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.once('end', () => resolve(body));
    request.once('error', reject);
  });
}

function send(response: ServerResponse, statusCode: number, xml: string) {
  response.writeHead(statusCode, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(xml),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(xml);
}

const escapeXml = (value: string) =>
  value.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string,
  );

function assumeRoleXml(call: AssumeRoleCall, sourceIdentity: string | null): string {
  const [, , accountId, roleName] = ROLE_ARN_PATTERN.exec(call.roleArn) as RegExpExecArray;
  const name = (roleName as string).split('/').pop() as string;
  const roleId = `AROA${randomBytes(8).toString('hex').toUpperCase()}`;
  return `<AssumeRoleResponse xmlns="${XMLNS}">
  <AssumeRoleResult>${sourceIdentity ? `\n    <SourceIdentity>${escapeXml(sourceIdentity)}</SourceIdentity>` : ''}
    <AssumedRoleUser>
      <Arn>arn:aws:sts::${accountId}:assumed-role/${escapeXml(name)}/${escapeXml(call.sessionName)}</Arn>
      <AssumedRoleId>${roleId}:${escapeXml(call.sessionName)}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIA${randomBytes(8).toString('hex').toUpperCase()}</AccessKeyId>
      <SecretAccessKey>${randomBytes(30).toString('base64')}</SecretAccessKey>
      <SessionToken>${randomBytes(96).toString('base64')}</SessionToken>
      <Expiration>${new Date(call.expiresAt).toISOString()}</Expiration>
    </Credentials>
    <PackedPolicySize>0</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`;
}

function errorXml(type: 'Sender' | 'Receiver', code: string, message: string): string {
  return `<ErrorResponse xmlns="${XMLNS}">
  <Error>
    <Type>${type}</Type>
    <Code>${code}</Code>
    <Message>${escapeXml(message)}</Message>
  </Error>
  <RequestId>${randomUUID()}</RequestId>
</ErrorResponse>`;
}
