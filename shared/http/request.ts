/**
 * API Gateway requests, REST (payload 1.0) or HTTP API (payload 2.0), reduced to what a route
 * needs: method, path (without a stage prefix), query, the parsed JSON body and the request id.
 */
import { ValidationError } from '../errors.ts';

export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Request headers, names in lower case (HTTP headers are case-insensitive). */
  headers: Record<string, string>;
  /** The parsed JSON body, or undefined when there is none. */
  body: unknown;
  requestId: string;
}

/** The fields of both payload versions that are read; everything else is ignored. */
export interface ApiGatewayEvent {
  httpMethod?: string;
  path?: string;
  rawPath?: string;
  body?: string | null;
  isBase64Encoded?: boolean;
  queryStringParameters?: Record<string, string | undefined> | null;
  headers?: Record<string, string | undefined> | null;
  requestContext?: { requestId?: string; stage?: string; http?: { method?: string } };
}

export const MAX_BODY_BYTES = 16_384;

export function toApiRequest(event: ApiGatewayEvent): ApiRequest {
  const method = (event.requestContext?.http?.method ?? event.httpMethod ?? 'GET').toUpperCase();
  let path = event.rawPath ?? event.path ?? '/';
  const stage = event.requestContext?.stage;
  // HTTP APIs put a named stage in rawPath; REST APIs' `path` never carries it.
  if (event.rawPath && stage && stage !== '$default' && path.startsWith(`/${stage}/`)) {
    path = path.slice(stage.length + 1);
  }
  const query = Object.fromEntries(
    Object.entries(event.queryStringParameters ?? {}).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  );
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {})
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .map(([name, value]) => [name.toLowerCase(), value]),
  );
  return {
    method,
    path,
    query,
    headers,
    body: parseBody(event.body, event.isBase64Encoded ?? false),
    requestId: event.requestContext?.requestId ?? 'unknown',
  };
}

function parseBody(raw: string | null | undefined, base64: boolean): unknown {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const text = base64 ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new ValidationError(`body must be at most ${MAX_BODY_BYTES} bytes`, [
      { path: 'body', message: 'too large' },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError('body must be a JSON object', [{ path: 'body', message: 'is not valid JSON' }]);
  }
}
