/**
 * The setup API as API Gateway (HTTP API, payload format 2.0) serves it: only the routes the stack
 * deploys (shared/onboarding/setup-api-routes.ts) reach the function; a request one of them matches
 * becomes the event the setup-api handler receives in Lambda, and its result becomes the HTTP answer.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { pathMatcher, routeKeyOf } from '#shared/http/router.ts';
import { SETUP_API_ROUTES } from '#shared/onboarding/setup-api-routes.ts';

export interface SelectedRoute {
  /** `METHOD /path/{param}`, as API Gateway puts it in the event. */
  routeKey: string;
  pathParameters: Record<string, string>;
}

const matchSetupApiPath = pathMatcher(SETUP_API_ROUTES);

/** The route API Gateway selects: method and path both match one of the deployed routes. */
export function selectHttpApiRoute(method: string, path: string): SelectedRoute | undefined {
  const found = matchSetupApiPath(path).find(({ route }) => route.method === method);
  if (!found) return undefined;
  // API Gateway decodes path parameters before it passes them on.
  const pathParameters = Object.fromEntries(
    Object.entries(found.rawParams).map(([name, raw]) => [name, decodeOrKeep(raw)]),
  );
  return { routeKey: routeKeyOf(found.route), pathParameters };
}

function decodeOrKeep(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * API Gateway's own answer when no route matches a request (a known path with another method
 * included): `{"message":"Not Found"}`, without calling the function.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
 */
export function sendHttpApiNotFound(response: ServerResponse): void {
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ message: 'Not Found' }));
}

export function toHttpApiEvent(
  request: IncomingMessage,
  body: Buffer,
  { accountId, sourceIp, route }: { accountId: string; sourceIp: string; route: SelectedRoute },
): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://local');
  const method = request.method ?? 'GET';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  const { routeKey } = route;
  const now = new Date();
  const textual = /json|text|xml|form-urlencoded/.test(headers['content-type'] ?? 'application/json');
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(route.pathParameters).length > 0 ? { pathParameters: route.pathParameters } : {}),
    requestContext: {
      accountId,
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? { body: textual ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !textual }
      : { isBase64Encoded: false }),
  } as APIGatewayProxyEventV2;
}

/** Writes a handler result as API Gateway would (structured result, or a bare value as JSON 200). */
export function sendHttpApiResult(response: ServerResponse, result: unknown): void {
  const structured =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? (result as {
          statusCode: number;
          headers?: Record<string, string | number | boolean>;
          body?: string;
          isBase64Encoded?: boolean;
          cookies?: string[];
        })
      : undefined;
  if (!structured) {
    const body = result === null || result === undefined ? '' : JSON.stringify(result);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name] = String(value);
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  response.writeHead(structured.statusCode, headers);
  response.end(
    structured.body
      ? Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8')
      : undefined,
  );
}
