/**
 * A small path router for the setup API: routes declared as data (method and API Gateway path
 * template `/path/{param}`) with a handler attached by name, path parameters decoded, 404 for an
 * unknown path and 405 (with Allow) for a known path and another method. Handlers return a status
 * and a JSON-serialisable body.
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

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A route as data: what API Gateway is told, and the name its handler is attached by. */
export interface RouteDefinition {
  name: string;
  method: HttpMethod;
  /** An API Gateway path template: `/customers/{customerId}/connections`. */
  path: string;
}

export interface Route {
  method: HttpMethod;
  path: string;
  handle: RouteHandler;
}

/** API Gateway's name for a route, `METHOD /path`: the event's `routeKey`, the CloudFormation RouteKey. */
export const routeKeyOf = (route: { method: string; path: string }): string =>
  `${route.method} ${route.path}`;

/**
 * Gives every route of a table its handler. The handlers are keyed by route name, so a route left
 * without one, or a handler for no route, is a type error.
 */
export function attachHandlers<const Table extends readonly RouteDefinition[]>(
  table: Table,
  handlers: NoInfer<{ [Name in Table[number]['name']]: RouteHandler }>,
): (Table[number] & { handle: RouteHandler })[] {
  return table.map((route: Table[number]) => ({
    ...route,
    handle: handlers[route.name as Table[number]['name']],
  }));
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

/**
 * Finds the routes whose path template matches a path, with their path parameters still URL-encoded;
 * the router and the local API Gateway both match with it, so they agree on which path is whose.
 */
export function pathMatcher<R extends { path: string }>(routes: readonly R[]) {
  const compiled = routes.map((route) => ({ route, ...compile(route.path) }));
  return (path: string): { route: R; rawParams: Record<string, string> }[] =>
    compiled.flatMap(({ route, pattern, names }) => {
      const match = pattern.exec(path);
      if (!match) return [];
      return [{ route, rawParams: Object.fromEntries(names.map((name, i) => [name, match[i + 1]!])) }];
    });
}

export function createRouter(routes: readonly Route[]) {
  const matchPath = pathMatcher(routes);

  return async function route(request: ApiRequest): Promise<ApiResponse> {
    const matches = matchPath(request.path);
    if (matches.length === 0) throw new HttpError(404, `No route for ${request.path}.`);
    const found = matches.find((m) => m.route.method === request.method);
    if (!found) {
      const allow = [...new Set(matches.map((m) => m.route.method))].join(', ');
      throw new HttpError(405, `${request.method} is not allowed on ${request.path}; use ${allow}.`, {
        allow,
      });
    }
    const params: Record<string, string> = {};
    for (const [name, raw] of Object.entries(found.rawParams)) {
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        throw new ValidationError(`${name} is not correctly URL-encoded`, [
          { path: name, message: 'bad encoding' },
        ]);
      }
    }
    const { statusCode, body } = await found.route.handle(request, params);
    return json(statusCode, body);
  };
}
