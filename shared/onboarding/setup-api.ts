/**
 * The setup API's handlers: start an onboarding, list a customer's connections, revoke one by hand,
 * rotate its External ID, each attached by name to its route of ./setup-api-routes.ts. Inputs are
 * validated with schemas whose messages name the field and the problem; the error middleware turns
 * typed errors into 4xx answers.
 */
import { z } from 'zod';
import { accountIdSchema, customerIdSchema } from '../domain/identifiers.ts';
import { ValidationError } from '../errors.ts';
import { attachHandlers, type Route } from '../http/router.ts';
import type { ConnectionStore } from '../store/connection-store.ts';
import { toConnectionView } from './connection-view.ts';
import { parseInput } from './parse-input.ts';
import type { Revoker } from './revocation.ts';
import { SETUP_API_ROUTES } from './setup-api-routes.ts';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeySchema, type SetupIdempotency } from './setup-idempotency.ts';
import {
  checkRegion,
  createSetup,
  createSetupRequestSchema,
  type SetupSettings,
  startRotation,
} from './setups.ts';

export interface SetupApiDependencies {
  store: ConnectionStore;
  revoker: Revoker;
  settings: SetupSettings;
  /** When given, `POST /setups` honours an `Idempotency-Key` header. */
  idempotency?: SetupIdempotency;
  now?: () => Date;
}

const idempotencyHeaders = z.object({ [IDEMPOTENCY_KEY_HEADER]: idempotencyKeySchema.optional() });
const customerParams = z.object({ customerId: customerIdSchema });
const connectionParams = z.object({ customerId: customerIdSchema, accountId: accountIdSchema });
const listQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(50),
  cursor: z.string().max(2048, 'is too long').optional(),
});

export function setupApiRoutes({
  store,
  revoker,
  settings,
  idempotency,
  now = () => new Date(),
}: SetupApiDependencies): Route[] {
  return attachHandlers(SETUP_API_ROUTES, {
    async createSetup(request) {
      if (request.body === undefined)
        throw new ValidationError('Invalid request: body is required.', [
          { path: 'body', message: 'is required' },
        ]);
      const input = parseInput(createSetupRequestSchema, request.body);
      const key = parseInput(idempotencyHeaders, request.headers, 'header')[IDEMPOTENCY_KEY_HEADER];
      // Refused before any idempotency record is written: only issuing the offer is made idempotent.
      checkRegion(input.region ?? settings.homeRegion, settings);
      const issue = (validated: typeof input) => createSetup(validated, { store, settings, now: now() });
      const offer = key && idempotency ? await idempotency.issueOnce(key, input, issue) : await issue(input);
      return { statusCode: 201, body: offer };
    },
    async listConnections(request, params) {
      const { customerId } = parseInput(customerParams, params);
      const { limit, cursor } = parseInput(listQuery, request.query, 'query');
      const page = await store.listConnections(customerId, { limit, ...(cursor ? { cursor } : {}) });
      return {
        statusCode: 200,
        body: {
          connections: page.items.map(toConnectionView),
          ...(page.cursor ? { cursor: page.cursor } : {}),
        },
      };
    },
    async revokeConnection(request, params) {
      const { customerId, accountId } = parseInput(connectionParams, params);
      const outcome = await revoker.revokeByHand({ customerId, accountId, requestId: request.requestId });
      const connection = outcome.connection!;
      return {
        statusCode: 200,
        body: { revoked: outcome.kind === 'revoked', connection: toConnectionView(connection) },
      };
    },
    async rotateExternalId(_request, params) {
      const { customerId, accountId } = parseInput(connectionParams, params);
      return {
        statusCode: 201,
        body: await startRotation({ customerId, accountId }, { store, settings, now: now() }),
      };
    },
  });
}
