import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '#shared/http/request.ts';
import { attachHandlers, createRouter, type RouteHandler, routeKeyOf } from '#shared/http/router.ts';

const TABLE = [
  { name: 'listThings', method: 'GET', path: '/owners/{ownerId}/things' },
  { name: 'addThing', method: 'POST', path: '/owners/{ownerId}/things' },
] as const;

const echo: RouteHandler = async (request, params) => ({
  statusCode: 200,
  body: { method: request.method, params },
});

const request = (method: string, path: string): ApiRequest => ({
  method,
  path,
  query: {},
  headers: {},
  body: undefined,
  requestId: 'r-1',
});

describe('attachHandlers', () => {
  it('gives each route of the table the handler of its name, keeping its method and path', () => {
    const listThings: RouteHandler = async () => ({ statusCode: 200, body: [] });
    const routes = attachHandlers(TABLE, { listThings, addThing: echo });
    expect(routes.map(({ name, method, path }) => ({ name, method, path }))).toEqual(TABLE);
    expect(routes[0]?.handle).toBe(listThings);
    expect(routes[1]?.handle).toBe(echo);
  });

  it('makes a route without a handler, or a handler without a route, a type error (npm run typecheck)', () => {
    // @ts-expect-error addThing has no handler
    attachHandlers(TABLE, { listThings: echo });
    // @ts-expect-error removeThing is no route of the table
    attachHandlers(TABLE, { listThings: echo, addThing: echo, removeThing: echo });
    expect(attachHandlers(TABLE, { listThings: echo, addThing: echo })).toHaveLength(TABLE.length);
  });
});

describe('createRouter', () => {
  const route = createRouter(attachHandlers(TABLE, { listThings: echo, addThing: echo }));

  it('calls the route of the method and path with its path parameters decoded', async () => {
    const response = await route(request('POST', '/owners/acme%20corp/things'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ method: 'POST', params: { ownerId: 'acme corp' } });
    expect((await route(request('GET', '/owners/acme/things/'))).statusCode).toBe(200);
  });

  it('answers 404 for an unknown path and 405 naming the allowed methods for another method', async () => {
    await expect(route(request('GET', '/owners/acme'))).rejects.toMatchObject({ statusCode: 404 });
    await expect(route(request('DELETE', '/owners/acme/things'))).rejects.toMatchObject({
      statusCode: 405,
      headers: { allow: 'GET, POST' },
    });
  });

  it('refuses a path parameter that is not correctly URL-encoded', async () => {
    await expect(route(request('GET', '/owners/%E0%A4%A/things'))).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ path: 'ownerId' }],
    });
  });
});

describe('routeKeyOf', () => {
  it('names a route as API Gateway does, method then path template', () => {
    expect(routeKeyOf(TABLE[0])).toBe('GET /owners/{ownerId}/things');
  });
});
