/**
 * Hostile setup-API requests (docs/architecture.md §6, invariant 8): generated bodies, paths and queries with missing,
 * extra and wrong-typed fields, huge strings, unicode, other customers' and unknown accounts,
 * crafted pagination cursors, the operators' reads (unknown customers, bad days and ranges, stray
 * parameters) and unknown routes. Every one is answered 4xx with a message that
 * says what is wrong, writes nothing and never becomes a 500.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiGatewayEvent } from '#shared/http/request.ts';
import { createContext } from '../support/lambda-context.ts';
import { activeConnection, openSetup, uniqueCustomer } from '../support/onboarding.ts';
import { createFigures } from './support/figures.ts';
import { nastyString, wrongType } from './support/hostile.ts';
import { FUZZ_RUNS, FUZZ_SEED } from './support/settings.ts';
import { createWorld, type World } from './support/world.ts';

const eventBridge = mockClient(EventBridgeClient);
const figures = createFigures(import.meta.filename);
const RUNS = Math.ceil(FUZZ_RUNS * 0.3);
const CUSTOMER_ID = /^[A-Za-z0-9][\w.@+=:-]*$/;

let world: World;
let victim: { customerId: string; accountId: string };
/** Setups the registration API must refuse to use: expired, or another customer's for the victim's role. */
let expiredSetupId: string;
let otherCustomersSetupId: string;

beforeAll(async () => {
  world = await createWorld('keyless-hostile-api');
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  const connection = await activeConnection(world.store);
  victim = { customerId: connection.customerId, accountId: connection.accountId };
  expiredSetupId = (
    await openSetup(world.store, uniqueCustomer(), {
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-08T00:00:00.000Z',
    })
  ).setupId;
  otherCustomersSetupId = (await openSetup(world.store, uniqueCustomer())).setupId;
});
afterAll(async () => {
  figures.add('outboundObserved', world.outbound.wire.length);
  figures.add('forbiddenOutbound', world.outbound.forbidden().length);
  figures.write();
  await world.close();
});

function apiEvent(
  method: string,
  rawPath: string,
  body?: string,
  query?: Record<string, string>,
): ApiGatewayEvent {
  return {
    rawPath,
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: { requestId: 'hostile', stage: '$default', http: { method } },
  };
}

const invalidCustomerId = fc.oneof(
  wrongType,
  nastyString.filter((s) => s.length > 128 || !CUSTOMER_ID.test(s)),
);
const cursor = fc.oneof(
  nastyString.filter((s) => s !== ''),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
  fc
    .record({
      PK: fc.oneof(fc.string(), fc.constant('CUSTOMER#someone-else'), fc.integer()),
      SK: fc.oneof(fc.string(), fc.integer()),
    })
    .map((key) => Buffer.from(JSON.stringify(key)).toString('base64url')),
  // The caller's own partition, with a sort key of the wrong type or outside the connections.
  fc
    .record({
      SK: fc.oneof(fc.integer(), fc.constant('SETUP#x'), fc.constant('AUDIT#'), fc.constant(null)),
      extra: fc.boolean(),
    })
    .map(({ SK, extra }) =>
      Buffer.from(
        JSON.stringify({ PK: `CUSTOMER#${victim.customerId}`, SK, ...(extra ? { GSI1PK: 'x' } : {}) }),
      ).toString('base64url'),
    ),
);
const segment = (s: string) => encodeURIComponent(s);
const READ_PARAMETERS = ['accountId', 'limit', 'cursor', 'from', 'to', 'oldest'];
function isOwnAuditPosition(encoded: string): boolean {
  try {
    const key = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<string, unknown>;
    return (
      Object.keys(key).length === 2 &&
      key.PK === `CUSTOMER#${victim.customerId}` &&
      typeof key.SK === 'string' &&
      key.SK.startsWith('AUDIT#')
    );
  } catch {
    return false;
  }
}

/** A request that must be refused, and the status family it must get. */
const hostileApiRequest = fc.oneof(
  // POST /setups with one defect.
  fc
    .record({
      defect: fc.constantFrom(
        'customerId',
        'extra',
        'region',
        'setupPhase',
        'customerName',
        'scope',
        'organizationId',
        'organizationalUnitIds',
      ),
      customerId: invalidCustomerId,
      extraKey: fc
        .string({ minLength: 1, maxLength: 20 })
        .filter(
          (k) =>
            ![
              'customerId',
              'customerName',
              'region',
              'setupPhase',
              'scope',
              'organizationId',
              'organizationalUnitIds',
            ].includes(k),
        ),
      value: fc.oneof(wrongType, nastyString),
    })
    .map(({ defect, customerId, extraKey, value }) => {
      const body: Record<string, unknown> = { customerId: 'acme-corp' };
      if (defect === 'customerId') body.customerId = customerId;
      // defineProperty, so an extra key named `__proto__` is an own key and is really sent.
      if (defect === 'extra')
        Object.defineProperty(body, extraKey, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      if (defect === 'region')
        body.region =
          typeof value === 'string' && /^[a-z]{2}(-[a-z]+)+-\d$/.test(value) ? 'ap-south-9' : value;
      if (defect === 'setupPhase') body.setupPhase = typeof value === 'boolean' ? String(value) : value;
      // Organization setups (docs/architecture.md §9.7): a scope that is neither, an organization id
      // or OU list that is malformed, or either one without the organization scope.
      if (defect === 'scope')
        body.scope = value === 'account' || value === 'organization' ? 'Organization' : value;
      if (defect === 'organizationId') {
        const wellFormed = typeof value === 'string' && /^o-[a-z0-9]{10,32}$/.test(value);
        if (!wellFormed) body.scope = 'organization';
        body.organizationId = wellFormed ? value : typeof value === 'string' ? `o-${value}!` : value;
      }
      if (defect === 'organizationalUnitIds') {
        body.scope = 'organization';
        body.organizationalUnitIds = Array.isArray(value)
          ? []
          : typeof value === 'string'
            ? [`ou-${value}!`]
            : value === null || value === undefined
              ? Array.from({ length: 51 }, (_, i) => `ou-abcd-${String(i).padStart(8, '0')}`)
              : value;
      }
      if (defect === 'customerName')
        body.customerName =
          typeof value === 'string' && value.trim().length > 0 && value.length <= 256
            ? 'x'.repeat(300)
            : value;
      return { what: `POST /setups (${defect})`, event: apiEvent('POST', '/setups', JSON.stringify(body)) };
    }),
  // POST /setups with a body that is not a JSON object.
  fc
    .oneof(
      fc.constantFrom('', '{', 'null', '[]', '42', '"acme"', '{"customerId":', 'x'.repeat(20_000)),
      fc.string({ maxLength: 60 }).filter((s) => {
        try {
          const v = JSON.parse(s);
          return typeof v !== 'object' || v === null || Array.isArray(v);
        } catch {
          return true;
        }
      }),
    )
    .map((body) => ({ what: 'POST /setups (not an object)', event: apiEvent('POST', '/setups', body) })),
  // Listing with a bad customer id, limit or cursor.
  fc
    .record({
      customerId: nastyString.filter((s) => s.length > 128 || !CUSTOMER_ID.test(s)),
      limit: fc.oneof(fc.constantFrom('0', '-1', '101', '1.5', 'abc', '1e9', ''), fc.string()),
      cursor,
      pick: fc.nat(2),
    })
    // The schema coerces with Number(): '01', ' 7', '1e1' and '0x10' are valid limits.
    .filter(({ limit }) => {
      const n = Number(limit);
      return !(Number.isInteger(n) && n >= 1 && n <= 100);
    })
    .map(({ customerId, limit, cursor, pick }) => {
      if (pick === 0 && customerId.length > 0)
        return {
          what: 'GET connections (customer id)',
          event: apiEvent('GET', `/customers/${segment(customerId)}/connections`),
        };
      if (pick === 1)
        return {
          what: 'GET connections (limit)',
          event: apiEvent('GET', `/customers/${victim.customerId}/connections`, undefined, { limit }),
        };
      return {
        what: 'GET connections (cursor)',
        event: apiEvent('GET', `/customers/${victim.customerId}/connections`, undefined, { cursor }),
      };
    }),
  // Revoke or rotate: another customer's account, an unknown account, a malformed account id.
  fc
    .record({
      action: fc.constantFrom('revoke', 'rotate'),
      account: fc.oneof(
        fc.integer({ min: 100_000_000_000, max: 999_999_999_999 }).map(String),
        nastyString.filter((s) => s.length > 0 && !/^\d{12}$/.test(s)),
      ),
      otherCustomer: fc.boolean(),
    })
    .map(({ action, account, otherCustomer }) => {
      const customerId = otherCustomer ? 'someone-else' : victim.customerId;
      const accountId = account === victim.accountId ? '000000000000' : account;
      return {
        what: `POST ${action}`,
        event: apiEvent('POST', `/customers/${customerId}/connections/${segment(accountId)}/${action}`),
      };
    }),
  // The operators' reads: a bad or unknown customer, a bad cursor, limit, account, day or range, a stray parameter.
  fc
    .record({
      route: fc.constantFrom('summary', 'audit', 'migration'),
      customerId: fc.oneof(
        nastyString.filter((s) => s.length > 0 && (s.length > 128 || !CUSTOMER_ID.test(s))),
        fc.uuid().map((id) => `unknown-${id}`),
      ),
      defect: fc.constantFrom('customer', 'cursor', 'limit', 'accountId', 'from', 'to', 'oldest', 'stray'),
      // A cursor inside the victim's own audit trail is a real position there, not a hostile one.
      cursor: cursor.filter((c) => !isOwnAuditPosition(c)),
      value: nastyString,
      stray: fc.string({ minLength: 1, maxLength: 30 }).filter((k) => !READ_PARAMETERS.includes(k)),
    })
    .map(({ route, customerId, defect, cursor, value, stray }) => {
      const strayQuery = { [stray]: value };
      if (route === 'migration') {
        const query =
          defect === 'from' || defect === 'to'
            ? { [defect]: /^\d{4}-\d{2}-\d{2}$/.test(value) ? '9999-12-31' : value }
            : defect === 'oldest'
              ? { oldest: /^\s*\d+\s*$/.test(value) && Number(value) <= 100 ? '101' : `${value}x` }
              : strayQuery;
        return {
          what: `GET migration (${Object.keys(query)[0]})`,
          event: apiEvent('GET', '/migration', undefined, query),
        };
      }
      const path =
        route === 'summary' ? `/customers/${victim.customerId}` : `/customers/${victim.customerId}/audit`;
      if (defect === 'customer')
        return {
          what: `GET ${route} (customer)`,
          event: apiEvent(
            'GET',
            route === 'summary'
              ? `/customers/${segment(customerId)}`
              : `/customers/${segment(customerId)}/audit`,
          ),
        };
      if (route === 'audit' && defect === 'cursor')
        return { what: 'GET audit (cursor)', event: apiEvent('GET', path, undefined, { cursor }) };
      if (route === 'audit' && defect === 'limit')
        return {
          what: 'GET audit (limit)',
          event: apiEvent('GET', path, undefined, { limit: /^\s*\d+\s*$/.test(value) ? '0' : `${value}x` }),
        };
      if (route === 'audit' && defect === 'accountId')
        return {
          what: 'GET audit (accountId)',
          event: apiEvent('GET', path, undefined, { accountId: /^\d{12}$/.test(value) ? '1' : value }),
        };
      return { what: `GET ${route} (stray parameter)`, event: apiEvent('GET', path, undefined, strayQuery) };
    }),
  // Registration by API (docs/architecture.md §9.6): bad ids and bodies, setups that cannot be used.
  fc
    .record({
      defect: fc.constantFrom(
        'setupId',
        'unknown-setup',
        'body',
        'roleArn',
        'extra',
        'expired',
        'victims-role',
      ),
      value: fc.oneof(wrongType, nastyString),
    })
    .map(({ defect, value }) => {
      const setupId =
        defect === 'setupId'
          ? encodeURIComponent(typeof value === 'string' && value.length > 0 ? `${value}/x` : 'not-a-setup!')
          : defect === 'unknown-setup'
            ? '00000000-0000-4000-8000-000000000000'
            : defect === 'expired'
              ? expiredSetupId
              : otherCustomersSetupId;
      const roleArn = `arn:aws:iam::${defect === 'victims-role' ? victim.accountId : '171717171717'}:role/KeylessAccess`;
      const body =
        defect === 'body'
          ? typeof value === 'string'
            ? `${value}{`
            : JSON.stringify(value ?? null)
          : JSON.stringify({
              roleArn: defect === 'roleArn' ? (typeof value === 'string' ? `x${value}` : value) : roleArn,
              ...(defect === 'extra' ? { externalId: 'chosen-by-me' } : {}),
            });
      return {
        what: `POST registrations (${defect})`,
        event: apiEvent('POST', `/setups/${setupId}/registrations`, body),
      };
    }),
  fc
    .record({ defect: fc.constantFrom('setupId', 'unknown', 'stray'), value: nastyString })
    .map(({ defect, value }) => ({
      what: `GET setup (${defect})`,
      event: apiEvent(
        'GET',
        `/setups/${defect === 'setupId' ? encodeURIComponent(`${value}!`) : defect === 'unknown' ? '00000000-0000-4000-8000-000000000001' : otherCustomersSetupId}`,
        undefined,
        defect === 'stray' ? { stray: value || 'x' } : undefined,
      ),
    })),
  // Revoking an organization (docs/architecture.md §9.7): bad ids, one the customer has no
  // proven member of, a stray parameter.
  fc
    .record({
      defect: fc.constantFrom('customerId', 'organizationId', 'unknown', 'stray'),
      value: nastyString,
      organizationId: fc.stringMatching(/^o-[a-z0-9]{10,32}$/),
    })
    .map(({ defect, value, organizationId }) => {
      const customerId =
        defect === 'customerId'
          ? segment(
              value.length > 0 && CUSTOMER_ID.test(value) && value.length <= 128 ? `${value}!` : value || '!',
            )
          : victim.customerId;
      const organization =
        defect === 'organizationId'
          ? segment(/^o-[a-z0-9]{10,32}$/.test(value) ? `${value}!` : value || '!')
          : organizationId;
      return {
        what: `POST organization revoke (${defect})`,
        event: apiEvent(
          'POST',
          `/customers/${customerId}/organizations/${organization}/revoke`,
          undefined,
          defect === 'stray' ? { stray: value || 'x' } : undefined,
        ),
      };
    }),
  // Unknown routes and methods.
  fc
    .record({ method: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'POST'), path: fc.webPath() })
    .filter(
      ({ method, path }) =>
        !(method === 'POST' && /^\/setups\/?$/.test(path)) &&
        !/^\/customers\/[^/]+\/(connections|organizations)/.test(path) &&
        // The operators' reads answer 200 for a known customer.
        !(method === 'GET' && /^\/(migration|customers\/[^/]+(\/audit)?)\/?$/.test(path)),
    )
    .map(({ method, path }) => ({ what: 'unknown route', event: apiEvent(method, path || '/') })),
);

describe('setup API under hostile input', () => {
  it('refuses an External ID chosen by the caller and names the field', async () => {
    // Prepare
    world.writes.length = 0;
    const body = JSON.stringify({ customerId: 'acme-corp', externalId: 'keyless-acme-corp-chosen-by-me' });
    // Act
    const response = await world.handlers.setupApi(apiEvent('POST', '/setups', body), createContext());
    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatch(/externalId/);
    expect(world.writes).toEqual([]);
  });

  it(
    `answers ${RUNS} generated hostile requests with a 4xx and a message, writing nothing`,
    async () => {
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(hostileApiRequest, async ({ what, event }) => {
          world.writes.length = 0;
          seen.add(what);
          const response = await world.handlers.setupApi(event, createContext());
          figures.add('hostileCases');
          expect({ what, statusCode: response.statusCode }).toEqual({ what, statusCode: expect.any(Number) });
          expect(response.statusCode, `${what}: ${response.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
          expect(response.statusCode, `${what}: ${response.body.slice(0, 300)}`).toBeLessThan(500);
          const body = JSON.parse(response.body) as { message?: unknown };
          expect(body.message).toEqual(expect.stringMatching(/\S/));
          expect(world.writes).toEqual([]);
        }),
        { numRuns: RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
      );
      expect(seen.size).toBeGreaterThanOrEqual(10);
      // The operators' reads were among them.
      for (const read of [
        'GET summary',
        'GET audit',
        'GET migration',
        'POST registrations',
        'GET setup',
        'POST organization revoke',
      ])
        expect(
          [...seen].some((what) => what.startsWith(read)),
          read,
        ).toBe(true);
      expect(await world.store.getConnection(victim.customerId, victim.accountId)).toMatchObject({
        status: 'ACTIVE',
      });
      expect(world.outbound.forbidden()).toEqual([]);
    },
    Math.max(60_000, RUNS * 25),
  );
});
