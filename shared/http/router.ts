/**
 * A small path router for the setup API: routes declared as `METHOD /path/{param}`, path
 * parameters decoded, 404 for an unknown path and 405 (with Allow) for a known path and another
 * method. Handlers return a status and a JSON-serialisable body.
 */
import { ValidationError } from '../errors.ts';
import type { ApiRequest } from './request.ts';

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type RouteHandler = (
  request: ApiRequest,
  params: Record<string, string>,
) => Promise<{ statusCode: number; body: unknown }>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handle: RouteHandler;
}

/** An HTTP error with a status below 500: its message is safe to show the caller. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

function compile(path: string) {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), names };
}

export function createRouter(routes: readonly Route[]) {
  const compiled = routes.map((route) => ({ route, ...compile(route.path) }));

  return async function route(request: ApiRequest): Promise<ApiResponse> {
    const matches = compiled
      .map((entry) => ({ entry, match: entry.pattern.exec(request.path) }))
      .filter((m) => m.match !== null);
    if (matches.length === 0) throw new HttpError(404, `No route for ${request.path}.`);
    const found = matches.find((m) => m.entry.route.method === request.method);
    if (!found) {
      const allow = [...new Set(matches.map((m) => m.entry.route.method))].join(', ');
      throw new HttpError(405, `${request.method} is not allowed on ${request.path}; use ${allow}.`, {
        allow,
      });
    }
    const params: Record<string, string> = {};
    found.entry.names.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(found.match![i + 1]!);
      } catch {
        throw new ValidationError(`${name} is not correctly URL-encoded`, [
          { path: name, message: 'bad encoding' },
        ]);
      }
    });
    const { statusCode, body } = await found.entry.route.handle(request, params);
    return json(statusCode, body);
  };
}
