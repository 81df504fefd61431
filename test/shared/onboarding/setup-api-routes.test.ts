import { describe, expect, it } from 'vitest';
import { routeKeyOf } from '#shared/http/router.ts';
import { setupApiRoutes } from '#shared/onboarding/setup-api.ts';
import { SETUP_API_ROUTES } from '#shared/onboarding/setup-api-routes.ts';

describe('the setup API route table', () => {
  it('is what setupApiRoutes serves: a handler for every route and no handler besides', () => {
    const routes = setupApiRoutes({
      store: {} as never,
      reads: {} as never,
      revoker: {} as never,
      settings: {} as never,
    });
    expect(routes.map(routeKeyOf)).toEqual(SETUP_API_ROUTES.map(routeKeyOf));
    for (const route of routes) expect(route.handle).toBeTypeOf('function');
  });

  it('names each route once, and each method and path once', () => {
    const names = SETUP_API_ROUTES.map((route) => route.name);
    const keys = SETUP_API_ROUTES.map(routeKeyOf);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('writes paths as API Gateway path templates: literal segments and whole-segment {variables}', () => {
    for (const { path } of SETUP_API_ROUTES) {
      expect(path).toMatch(/^(\/([A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9]*\}))+$/);
    }
  });
});
