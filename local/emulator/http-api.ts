/**
 * The setup API as API Gateway (HTTP API, payload format 2.0) serves it: a request becomes the
 * event the setup-api handler receives in Lambda, and its result becomes the HTTP answer.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export function toHttpApiEvent(
  request: IncomingMessage,
  body: Buffer,
  { accountId, sourceIp }: { accountId: string; sourceIp: string },
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
  // One `$default` route to the setup-api function, which routes by path itself (shared/http/router.ts).
  const routeKey = '$default';
  const now = new Date();
  const textual = /json|text|xml|form-urlencoded/.test(headers['content-type'] ?? 'application/json');
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
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
