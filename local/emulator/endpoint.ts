/**
 * The single local endpoint: one HTTP server that speaks the AWS wire protocols Keyless uses, so
 * `AWS_ENDPOINT_URL=http://127.0.0.1:4577` points any AWS SDK or the AWS CLI at the local system.
 *
 * Requests are told apart as AWS front ends do: by `X-Amz-Target` (JSON protocols), by the query
 * protocol's `Action` with the SigV4 credential scope's service name, and by path (Lambda's REST
 * API, the local admin routes); everything else is the setup API behind API Gateway.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invokeAsynchronously } from './async-invocation.ts';
import {
  queryList,
  readBody,
  sendJson,
  sendJsonError,
  sendQueryError,
  sendQueryResult,
  signingScope,
} from './aws-protocol.ts';
import { createCustomerServices, type LocalCustomerServices } from './customer-services.ts';
import type { LocalEventBus } from './event-bus.ts';
import { FunctionNotFoundError, type LocalFunctions } from './functions.ts';
import { selectHttpApiRoute, sendHttpApiNotFound, sendHttpApiResult, toHttpApiEvent } from './http-api.ts';
import { type LocalIam, OrganizationsError } from './iam.ts';
import type { CloudFormationResponses } from './response-receiver.ts';
import { type LocalSecrets, SecretsManagerError } from './secrets.ts';
import { InvalidParameterError, type LocalSns, TopicNotFoundError } from './sns.ts';
import { type LocalSts, type PolicyDocument, StsError } from './sts.ts';

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
const STS_ACTIONS = new Set(['AssumeRole', 'GetCallerIdentity']);
const SNS_ACTIONS = new Set(['Publish']);
const LAMBDA_INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export interface LocalEndpointDependencies {
  dynamoDbEndpoint: string;
  region: string;
  accountId: string;
  sts: LocalSts;
  /** SCPs, RCPs, permissions boundaries and SimulatePrincipalPolicy of the simulated accounts. */
  iam?: LocalIam;
  /**
   * The services customer roles' sessions call (the permission probes); built on `iam` when absent.
   * Provider-side calls of the same service still reach DynamoDB Local.
   */
  customerServices?: LocalCustomerServices;
  sns: LocalSns;
  eventBus: LocalEventBus;
  secrets: LocalSecrets;
  functions: LocalFunctions;
  responses: CloudFormationResponses;
  /** The function behind the setup API's routes. */
  apiFunction: string;
  /** `GET /_local/info`. */
  info: () => Record<string, unknown>;
  /** Extra `/_local/...` routes (templates…); return false when not handled. */
  localRoutes?: (request: IncomingMessage, response: ServerResponse, body: Buffer) => Promise<boolean>;
  onError?: (error: unknown, request: IncomingMessage) => void;
}

/**
 * The endpoint's listen backlog: connections the kernel completes before the one event loop
 * accepts them. Node's default (511) is smaller than a StackSet rolled out at high concurrency
 * opens at once (a thousand simulated stacks, each with its own connections, in the same
 * process as the endpoint); beyond the backlog the kernel drops connection attempts, and a
 * client's connect times out. Linux caps it at net.core.somaxconn (docs/architecture.md §8).
 */
export const LISTEN_BACKLOG = 4096;

export interface LocalEndpoint {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startLocalEndpoint(
  dependencies: LocalEndpointDependencies,
  { port, host = '127.0.0.1' }: { port: number; host?: string },
): Promise<LocalEndpoint> {
  const handle = createRequestHandler(dependencies);
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      dependencies.onError?.(error, request);
      if (!response.headersSent)
        sendJsonError(response, 500, 'InternalFailure', 'The local endpoint failed to handle the request.');
      else response.end();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * An endpoint that serves the identity services only (STS, IAM, Organizations), for the tests and
 * benchmarks of the role proof and the permission check: the other services' dependencies are
 * absent, and no request of the identity services reaches them.
 */
export function startIdentityEndpoint({
  sts,
  iam,
  accountId,
  region = 'us-east-1',
  customerServices,
}: {
  sts: LocalSts;
  iam: LocalIam;
  accountId: string;
  region?: string;
  /** The customer accounts' services the probes call (counted); built on `iam` when absent. */
  customerServices?: LocalCustomerServices;
}): Promise<LocalEndpoint> {
  const absent = {} as Omit<
    LocalEndpointDependencies,
    'dynamoDbEndpoint' | 'region' | 'accountId' | 'sts' | 'iam' | 'apiFunction' | 'info'
  >;
  return startLocalEndpoint(
    {
      ...absent,
      dynamoDbEndpoint: 'http://127.0.0.1:9',
      region,
      accountId,
      sts,
      iam,
      ...(customerServices ? { customerServices } : {}),
      apiFunction: 'setup-api',
      info: () => ({}),
    },
    { port: 0 },
  );
}

const sourceIpOf = (request: IncomingMessage) =>
  (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');

export function createRequestHandler(deps: LocalEndpointDependencies) {
  const customerServices =
    deps.customerServices ?? (deps.iam ? createCustomerServices({ iam: deps.iam }) : undefined);
  return async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local');
    const body = await readBody(request);
    const target = request.headers['x-amz-target'];
    const contentType = request.headers['content-type'] ?? '';

    if (url.pathname === '/_local/tables' && customerServices)
      return handleLocalTables(customerServices, request, response, body);
    if (url.pathname.startsWith('/_local/')) return handleLocal(deps, request, response, url, body);
    const invoke = LAMBDA_INVOKE.exec(url.pathname);
    if (invoke && request.method === 'POST')
      return handleLambdaInvoke(deps, request, response, decodeURIComponent(invoke[1] ?? ''), body);
    if (typeof target === 'string') {
      if (
        customerServices &&
        target.startsWith('DynamoDB_20120810.') &&
        (await handleCustomerService(deps, customerServices, request, response, target, body))
      )
        return;
      if (target.startsWith('DynamoDB_20120810.')) return proxyDynamoDb(deps, request, response, body);
      if (target.startsWith('AWSEvents.')) return handleEvents(deps, response, target, body);
      if (target.startsWith('secretsmanager.')) return handleSecrets(deps, response, target, body);
      if (target.startsWith('AWSOrganizationsV20161128.') && deps.iam)
        return handleOrganizations(deps, deps.iam, request, response, target);
      return sendJsonError(
        response,
        400,
        'UnknownOperationException',
        `Operation ${target} is not served by the local endpoint.`,
      );
    }
    if (request.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(body.toString('utf8'));
      const action = form.get('Action');
      if (action) {
        const service = signingScope(request.headers.authorization)?.service;
        if (service === 'sts' || (!service && STS_ACTIONS.has(action)))
          return handleSts(deps, request, response, action, form);
        if (service === 'sns' || (!service && SNS_ACTIONS.has(action)))
          return handleSns(deps, response, action, form);
        if (service === 'iam' && deps.iam) return handleIam(deps, deps.iam, request, response, action, form);
        return sendQueryError(response, 400, STS_NAMESPACE, {
          type: 'Sender',
          code: 'InvalidAction',
          message: `The action ${action} is not valid for this endpoint.`,
        });
      }
    }
    return handleHttpApi(deps, request, response, body);
  };
}

/**
 * A call signed with a customer account's credentials (a role session, a legacy key) goes to that
 * account's services, not to the provider's tables. False when the caller is the provider.
 */
async function handleCustomerService(
  deps: LocalEndpointDependencies,
  services: LocalCustomerServices,
  request: IncomingMessage,
  response: ServerResponse,
  target: string,
  body: Buffer,
): Promise<boolean> {
  const scope = signingScope(request.headers.authorization);
  let caller: ReturnType<LocalSts['callerFor']>;
  try {
    caller = deps.sts.callerFor(scope?.accessKeyId);
  } catch (error) {
    if (!(error instanceof StsError)) throw error;
    sendJsonError(response, 400, `${error.code}Exception`, error.message);
    return true;
  }
  if (caller.accountId === deps.accountId) return false;
  const input = parseJson(body);
  if (!input) {
    sendJsonError(response, 400, 'SerializationException', 'Request body is not valid JSON.');
    return true;
  }
  const answer = await services.call(caller, target, input, scope?.region ?? deps.region);
  if (answer.ok) sendJson(response, 200, answer.body, 'application/x-amz-json-1.0');
  else sendJsonError(response, answer.status, answer.type, answer.message);
  return true;
}

async function proxyDynamoDb(
  deps: LocalEndpointDependencies,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || ['host', 'connection', 'content-length', 'transfer-encoding'].includes(name))
      continue;
    headers.set(name, Array.isArray(value) ? value.join(',') : value);
  }
  const upstream = await fetch(deps.dynamoDbEndpoint, {
    method: 'POST',
    headers,
    body: new Uint8Array(body),
  });
  const payload = Buffer.from(await upstream.arrayBuffer());
  const answer: Record<string, string> = {};
  upstream.headers.forEach((value, name) => {
    if (!['content-length', 'connection', 'transfer-encoding', 'content-encoding'].includes(name))
      answer[name] = value;
  });
  response.writeHead(upstream.status, { ...answer, 'content-length': String(payload.length) });
  response.end(payload);
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(body.length > 0 ? body.toString('utf8') : '{}');
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function handleEvents(
  deps: LocalEndpointDependencies,
  response: ServerResponse,
  target: string,
  body: Buffer,
) {
  const input = parseJson(body);
  if (!input)
    return sendJsonError(response, 400, 'SerializationException', 'Request body is not valid JSON.');
  if (target !== 'AWSEvents.PutEvents') {
    return sendJsonError(
      response,
      400,
      'UnknownOperationException',
      `${target} is not served locally; only PutEvents.`,
    );
  }
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
    return sendJsonError(
      response,
      400,
      'ValidationException',
      "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1",
    );
  }
  sendJson(response, 200, deps.eventBus.putEvents(entries), 'application/x-amz-json-1.1');
}

function handleSecrets(
  deps: LocalEndpointDependencies,
  response: ServerResponse,
  target: string,
  body: Buffer,
) {
  const input = parseJson(body);
  if (!input)
    return sendJsonError(response, 400, 'SerializationException', 'Request body is not valid JSON.');
  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    'secretsmanager.CreateSecret': (i) => deps.secrets.createSecret(i),
    'secretsmanager.GetSecretValue': (i) => deps.secrets.getSecretValue(i),
    'secretsmanager.PutSecretValue': (i) => deps.secrets.putSecretValue(i),
    'secretsmanager.DeleteSecret': (i) => deps.secrets.deleteSecret(i),
    'secretsmanager.ListSecrets': (i) => deps.secrets.listSecrets(i),
  };
  const operation = operations[target];
  if (!operation)
    return sendJsonError(response, 400, 'UnknownOperationException', `${target} is not served locally.`);
  try {
    sendJson(response, 200, operation(input), 'application/x-amz-json-1.1');
  } catch (error) {
    if (error instanceof SecretsManagerError) return sendJsonError(response, 400, error.type, error.message);
    throw error;
  }
}

async function handleSts(
  deps: LocalEndpointDependencies,
  request: IncomingMessage,
  response: ServerResponse,
  action: string,
  form: URLSearchParams,
): Promise<void> {
  try {
    const caller = deps.sts.callerFor(signingScope(request.headers.authorization)?.accessKeyId);
    if (action === 'GetCallerIdentity') {
      return sendQueryResult(response, action, STS_NAMESPACE, deps.sts.getCallerIdentity(caller));
    }
    if (action === 'AssumeRole') {
      const duration = form.get('DurationSeconds');
      const result = await deps.sts.assumeRole(
        caller,
        {
          RoleArn: form.get('RoleArn') ?? '',
          RoleSessionName: form.get('RoleSessionName') ?? '',
          ExternalId: form.get('ExternalId') ?? undefined,
          DurationSeconds: duration === null ? undefined : Number(duration),
          SourceIdentity: form.get('SourceIdentity') ?? undefined,
          Tags: queryList(form, 'Tags').map(({ Key = '', Value = '' }) => ({ Key, Value })),
        },
        sourceIpOf(request),
      );
      return sendQueryResult(response, action, STS_NAMESPACE, {
        SourceIdentity: result.SourceIdentity,
        AssumedRoleUser: result.AssumedRoleUser,
        Credentials: result.Credentials,
        PackedPolicySize: undefined,
      });
    }
    return sendQueryError(response, 400, STS_NAMESPACE, {
      type: 'Sender',
      code: 'InvalidAction',
      message: `Could not find operation ${action} for version 2011-06-15`,
    });
  } catch (error) {
    if (error instanceof StsError) {
      return sendQueryError(response, error.statusCode, STS_NAMESPACE, {
        type: error.type,
        code: error.code,
        message: error.message,
      });
    }
    throw error;
  }
}

/** Organizations' JSON 1.1 protocol: DescribeOrganization only, for the membership proof (§9.7). */
async function handleOrganizations(
  deps: LocalEndpointDependencies,
  iam: LocalIam,
  request: IncomingMessage,
  response: ServerResponse,
  target: string,
): Promise<void> {
  if (target !== 'AWSOrganizationsV20161128.DescribeOrganization') {
    return sendJsonError(response, 400, 'UnknownOperationException', `${target} is not served locally.`);
  }
  try {
    const caller = deps.sts.callerFor(signingScope(request.headers.authorization)?.accessKeyId);
    sendJson(response, 200, await iam.describeOrganization(caller), 'application/x-amz-json-1.1');
  } catch (error) {
    if (error instanceof OrganizationsError) return sendJsonError(response, 400, error.type, error.message);
    if (error instanceof StsError)
      return sendJsonError(response, error.statusCode, error.code, error.message);
    throw error;
  }
}

const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

/** IAM's query protocol: SimulatePrincipalPolicy only, for the validator's permission check. */
async function handleIam(
  deps: LocalEndpointDependencies,
  iam: LocalIam,
  request: IncomingMessage,
  response: ServerResponse,
  action: string,
  form: URLSearchParams,
): Promise<void> {
  try {
    const caller = deps.sts.callerFor(signingScope(request.headers.authorization)?.accessKeyId);
    if (action !== 'SimulatePrincipalPolicy') {
      return sendQueryError(response, 400, IAM_NAMESPACE, {
        type: 'Sender',
        code: 'InvalidAction',
        message: `The action ${action} is not served by the local endpoint.`,
      });
    }
    const members = (name: string) =>
      [...form.keys()]
        .filter((key) => new RegExp(`^${name}\\.member\\.\\d+$`).test(key))
        .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
        .map((key) => form.get(key) ?? '');
    const contextEntries = queryList(form, 'ContextEntries').map((entry, index) => ({
      ContextKeyName: entry.ContextKeyName ?? '',
      ContextKeyValues: members(`ContextEntries\\.member\\.${index + 1}\\.ContextKeyValues`),
    }));
    const result = await iam.simulatePrincipalPolicy(caller, {
      PolicySourceArn: form.get('PolicySourceArn') ?? '',
      ActionNames: members('ActionNames'),
      ResourceArns: members('ResourceArns'),
      ContextEntries: contextEntries,
    });
    return sendQueryResult(response, action, IAM_NAMESPACE, result);
  } catch (error) {
    if (error instanceof StsError) {
      return sendQueryError(response, error.statusCode, IAM_NAMESPACE, {
        type: error.type,
        code: error.code,
        message: error.message,
      });
    }
    throw error;
  }
}

function handleSns(
  deps: LocalEndpointDependencies,
  response: ServerResponse,
  action: string,
  form: URLSearchParams,
) {
  if (action !== 'Publish') {
    return sendQueryError(response, 400, SNS_NAMESPACE, {
      type: 'Sender',
      code: 'InvalidAction',
      message: `${action} is not served locally; only Publish.`,
    });
  }
  const attributes: Record<string, { Type: string; Value: string }> = {};
  for (const [key, value] of form) {
    const match = /^MessageAttributes\.entry\.(\d+)\.Name$/.exec(key);
    if (!match) continue;
    const prefix = `MessageAttributes.entry.${match[1]}.Value.`;
    attributes[value] = {
      Type: form.get(`${prefix}DataType`) ?? 'String',
      Value: form.get(`${prefix}StringValue`) ?? '',
    };
  }
  try {
    const result = deps.sns.publish({
      TopicArn: form.get('TopicArn') ?? form.get('TargetArn') ?? undefined,
      Message: form.get('Message') ?? undefined,
      Subject: form.get('Subject') ?? undefined,
      MessageAttributes: attributes,
    });
    sendQueryResult(response, 'Publish', SNS_NAMESPACE, result);
  } catch (error) {
    if (error instanceof TopicNotFoundError) {
      return sendQueryError(response, 404, SNS_NAMESPACE, {
        type: 'Sender',
        code: error.code,
        message: error.message,
      });
    }
    if (error instanceof InvalidParameterError) {
      return sendQueryError(response, 400, SNS_NAMESPACE, {
        type: 'Sender',
        code: error.code,
        message: error.message,
      });
    }
    throw error;
  }
}

async function handleLambdaInvoke(
  deps: LocalEndpointDependencies,
  request: IncomingMessage,
  response: ServerResponse,
  name: string,
  body: Buffer,
): Promise<void> {
  let event: unknown;
  try {
    event = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    return sendJsonError(
      response,
      400,
      'InvalidRequestContentException',
      'Could not parse request body into json',
      'application/json',
    );
  }
  const functionArn = `arn:aws:lambda:${deps.region}:${deps.accountId}:function:${name}`;
  try {
    deps.functions.resolveName(name);
  } catch (error) {
    if (error instanceof FunctionNotFoundError) {
      return sendJson(
        response,
        404,
        { Type: 'User', message: `Function not found: ${functionArn}` },
        'application/json',
        {
          'x-amzn-errortype': 'ResourceNotFoundException',
        },
      );
    }
    throw error;
  }
  const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  if (invocationType === 'DryRun') {
    response.writeHead(204);
    return void response.end();
  }
  if (invocationType === 'Event') {
    // Queued by Lambda: a throttle or a function error is retried as for any asynchronous event.
    void invokeAsynchronously(() => deps.functions.invoke(name, event), { retryDelayMs: 1000 });
    response.writeHead(202, { 'x-amzn-requestid': randomUUID() });
    return void response.end();
  }
  const result = await deps.functions.invoke(name, event);
  if (!result.ok && result.throttled) {
    // A synchronous invocation beyond the function's reserved concurrency is refused, as Lambda does.
    return sendJson(response, 429, { message: 'Rate Exceeded.', Type: 'User' }, 'application/json', {
      'x-amzn-errortype': 'TooManyRequestsException',
    });
  }
  const headers = {
    'x-amz-executed-version': '$LATEST',
    ...(result.ok ? {} : { 'x-amz-function-error': 'Unhandled' }),
  };
  sendJson(response, 200, result.ok ? result.payload : result.error, 'application/json', headers);
}

async function handleHttpApi(
  deps: LocalEndpointDependencies,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
): Promise<void> {
  const { pathname } = new URL(request.url ?? '/', 'http://local');
  const route = selectHttpApiRoute(request.method ?? 'GET', pathname);
  if (!route) return sendHttpApiNotFound(response);
  if (!deps.functions.list().includes(deps.apiFunction)) {
    return sendJson(response, 503, { message: `The ${deps.apiFunction} function is not built yet.` });
  }
  const event = toHttpApiEvent(request, body, {
    accountId: deps.accountId,
    sourceIp: sourceIpOf(request),
    route,
  });
  const result = await deps.functions.invoke(deps.apiFunction, event);
  if (!result.ok) return sendJson(response, 500, { message: 'Internal Server Error' });
  sendHttpApiResult(response, result.payload);
}

/** A customer table name, as DynamoDB takes one. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * `PUT /_local/tables` `{ accountId, region, table, denyActions, denyRole? }`: a table in a simulated
 * customer account whose resource-based policy denies `denyActions` (DynamoDB actions, as a table's
 * policy takes) to role `denyRole`, or to every principal; `[]` leaves it without a policy.
 * `DELETE` with `{ accountId, region, table }` removes it (docs/architecture.md §9.4).
 */
async function handleLocalTables(
  services: LocalCustomerServices,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
): Promise<void> {
  if (request.method !== 'PUT' && request.method !== 'DELETE')
    return sendJson(response, 405, { message: 'PUT or DELETE.' });
  const input = parseJson(body);
  const { accountId, region, table, denyActions, denyRole } = (input ?? {}) as Record<string, unknown>;
  const usage = 'Expected { accountId, region, table, denyActions: [dynamodb:…], denyRole? }.';
  if (
    typeof accountId !== 'string' ||
    !/^\d{12}$/.test(accountId) ||
    typeof region !== 'string' ||
    !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region) ||
    typeof table !== 'string' ||
    !TABLE_NAME.test(table)
  )
    return sendJson(response, 400, { message: usage });
  const arn = `arn:aws:dynamodb:${region}:${accountId}:table/${table}`;
  if (request.method === 'DELETE') {
    return services.deleteTable(arn)
      ? sendJson(response, 200, { tableArn: arn, deleted: true })
      : sendJson(response, 404, { message: `No table ${table} in ${accountId} (${region}).` });
  }
  if (
    !Array.isArray(denyActions) ||
    (denyRole !== undefined && denyActions.length === 0) ||
    !denyActions.every((action) => typeof action === 'string' && /^dynamodb:[A-Za-z*]+$/.test(action)) ||
    (denyRole !== undefined && (typeof denyRole !== 'string' || !/^[\w+=,.@-]{1,64}$/.test(denyRole)))
  )
    return sendJson(response, 400, {
      message: `${usage} A table's resource-based policy takes DynamoDB actions only, a role name of IAM's characters, and a role only with actions to deny it.`,
    });
  const principal = denyRole ? { AWS: `arn:aws:iam::${accountId}:role/${denyRole}` } : '*';
  const resourcePolicy =
    denyActions.length > 0
      ? {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Deny', Principal: principal, Action: denyActions as string[], Resource: arn },
          ],
        }
      : undefined;
  services.putTable({ accountId, region, name: table, resourcePolicy });
  return sendJson(response, 200, { tableArn: arn, resourcePolicy: resourcePolicy ?? null });
}

async function handleLocal(
  deps: LocalEndpointDependencies,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  body: Buffer,
): Promise<void> {
  const path = url.pathname;
  if (path === '/_local/info' && request.method === 'GET') return sendJson(response, 200, deps.info());
  if (path === '/_local/stats' && request.method === 'GET') {
    return sendJson(response, 200, {
      assumeRole: deps.sts.assumeRoleCalls(),
      events: deps.eventBus.acceptedEvents(),
      // Invocations, throttles and peak concurrency per function; `?reset=1` starts them again.
      functions: deps.functions.stats({ reset: url.searchParams.get('reset') === '1' }),
    });
  }
  if (path.startsWith(deps.responses.pathPrefix)) return deps.responses.handle(request, response, url, body);
  if (path === '/_local/cloudformation-responses' && request.method === 'POST') {
    // A simulated stack asks for a ResponseURL, as CloudFormation pre-signs one per request.
    const input = parseJson(body);
    if (typeof input?.stackId !== 'string' || typeof input.logicalResourceId !== 'string') {
      return sendJson(response, 400, { message: 'Expected { stackId, logicalResourceId }.' });
    }
    return sendJson(response, 201, deps.responses.newResponseUrl(input.stackId, input.logicalResourceId));
  }
  if (path === '/_local/forwarded-events' && request.method === 'POST') {
    // Stands in for a customer account's cross-account rule forwarding its own events (aws.* sources
    // cannot be sent with PutEvents): the event is routed as it arrives, account and all.
    const event = parseJson(body);
    if (
      typeof event?.source !== 'string' ||
      typeof event['detail-type'] !== 'string' ||
      typeof event.id !== 'string'
    ) {
      return sendJson(response, 400, {
        message: 'Expected an EventBridge event (id, source, detail-type, detail…).',
      });
    }
    const targets = deps.eventBus.route(event as unknown as Parameters<LocalEventBus['route']>[0]);
    return sendJson(response, 202, { targets });
  }
  if (path === '/_local/scps' && request.method === 'PUT' && deps.iam) {
    // The customer's organization: an SCP denying these actions in the account ([] removes it).
    const input = parseJson(body);
    const actions = input?.denyActions;
    if (
      typeof input?.accountId !== 'string' ||
      !Array.isArray(actions) ||
      !actions.every((a) => typeof a === 'string')
    ) {
      return sendJson(response, 400, { message: 'Expected { accountId, denyActions: [action…] }.' });
    }
    deps.iam.setDenyingScp(input.accountId, actions as string[]);
    return sendJson(response, 200, { accountId: input.accountId, denyActions: actions });
  }
  if (path === '/_local/rcps' && request.method === 'PUT' && deps.iam) {
    // The customer's organization: an RCP denying these actions on the account's resources ([] removes it).
    const input = parseJson(body);
    const actions = input?.denyActions;
    if (
      typeof input?.accountId !== 'string' ||
      !/^\d{12}$/.test(input.accountId) ||
      !Array.isArray(actions) ||
      !actions.every((a) => typeof a === 'string')
    ) {
      return sendJson(response, 400, { message: 'Expected { accountId, denyActions: [action…] }.' });
    }
    try {
      deps.iam.setDenyingRcp(input.accountId, actions as string[]);
    } catch (error) {
      if (error instanceof RangeError) return sendJson(response, 400, { message: error.message });
      throw error;
    }
    return sendJson(response, 200, { accountId: input.accountId, denyActions: actions });
  }
  if (path === '/_local/organizations' && request.method === 'PUT' && deps.iam) {
    // An account joins an organization (or, with null, leaves it).
    const input = parseJson(body);
    const organizationId = input?.organizationId;
    if (
      typeof input?.accountId !== 'string' ||
      !/^\d{12}$/.test(input.accountId) ||
      (organizationId !== null &&
        (typeof organizationId !== 'string' || !/^o-[a-z0-9]{10,32}$/.test(organizationId)))
    ) {
      return sendJson(response, 400, { message: 'Expected { accountId, organizationId: "o-…" | null }.' });
    }
    deps.iam.setOrganization(input.accountId, organizationId ?? undefined);
    return sendJson(response, 200, { accountId: input.accountId, organizationId });
  }
  if (path === '/_local/boundaries' && request.method === 'PUT' && deps.iam) {
    const input = parseJson(body);
    if (
      typeof input?.roleArn !== 'string' ||
      (input.boundary !== null && typeof input.boundary !== 'object')
    ) {
      return sendJson(response, 400, { message: 'Expected { roleArn, boundary: policy document | null }.' });
    }
    deps.iam.setPermissionsBoundary(
      input.roleArn,
      (input.boundary ?? undefined) as PolicyDocument | undefined,
    );
    return sendJson(response, 200, { roleArn: input.roleArn });
  }
  if (path === '/_local/roles') {
    if (request.method === 'GET') return sendJson(response, 200, { roles: deps.sts.listRoles() });
    if (request.method === 'PUT') {
      const input = parseJson(body);
      if (!input || typeof input.arn !== 'string' || typeof input.trustPolicy !== 'object') {
        return sendJson(response, 400, {
          message: 'Expected { arn, trustPolicy, policies?, maxSessionDuration? }.',
        });
      }
      try {
        const role = await deps.sts.putRole(input as Parameters<LocalSts['putRole']>[0]);
        return sendJson(response, 200, role);
      } catch (error) {
        if (error instanceof StsError)
          return sendJson(response, 400, { code: error.code, message: error.message });
        throw error;
      }
    }
    if (request.method === 'DELETE') {
      const arn = url.searchParams.get('arn') ?? '';
      return sendJson(response, deps.sts.deleteRole(arn) ? 200 : 404, { arn });
    }
  }
  const schedule = /^\/_local\/schedules\/([^/]+)$/.exec(path);
  if (schedule && request.method === 'POST') {
    try {
      deps.eventBus.fireSchedule(decodeURIComponent(schedule[1] ?? ''));
      return sendJson(response, 202, { fired: schedule[1] });
    } catch (error) {
      return sendJson(response, 404, { message: (error as Error).message });
    }
  }
  if (deps.localRoutes && (await deps.localRoutes(request, response, body))) return;
  sendJson(response, 404, { message: `No local route ${request.method} ${path}` });
}
