/**
 * The setup API's handlers: start an onboarding, list a customer's connections, revoke one by hand,
 * rotate its External ID, each attached by name to its route of ./setup-api-routes.ts. Inputs are
 * validated with schemas whose messages name the field and the problem; the error middleware turns
 * typed errors into 4xx answers.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import type { TemplateCatalogue } from '../customer-template/catalogue.ts';
import {
  accountIdSchema,
  customerIdSchema,
  organizationIdSchema,
  roleArnSchema,
  setupIdSchema,
} from '../domain/identifiers.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { attachHandlers, type Route } from '../http/router.ts';
import { METRIC_NAMES } from '../metrics.ts';
import type { ConnectionStore } from '../store/connection-store.ts';
import type { OperatorReads } from '../store/operator-reads.ts';
import type { ApiRegistrations } from './api-registration.ts';
import { auditQuerySchema, readCustomerAudit } from './audit-view.ts';
import { toConnectionView } from './connection-view.ts';
import { summarizeCustomer } from './customer-summary.ts';
import type { MetricSink } from './dependencies.ts';
import { buildMigrationReport, migrationQuerySchema } from './migration-report.ts';
import { parseInput } from './parse-input.ts';
import type { Revoker } from './revocation.ts';
import { SETUP_API_ROUTES } from './setup-api-routes.ts';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeySchema, type SetupIdempotency } from './setup-idempotency.ts';
import { describeSetup } from './setup-view.ts';
import {
  checkRegion,
  createSetup,
  createSetupRequestSchema,
  type SetupSettings,
  startRotation,
} from './setups.ts';

export interface SetupApiDependencies {
  store: ConnectionStore;
  /** The operators' reads: customer summary, audit trail, migration report. */
  reads: OperatorReads;
  revoker: Revoker;
  settings: SetupSettings;
  /** The current template and what updating to it changes: each connection shows its upgrade. */
  templateCatalogue?: TemplateCatalogue;
  /** Registration by API: `POST /setups/{setupId}/registrations` (absent: the route answers 404). */
  registrations?: ApiRegistrations;
  /** When given, `POST /setups` honours an `Idempotency-Key` header. */
  idempotency?: SetupIdempotency;
  /** Counts the onboardings started (the dashboard's SetupCreated). */
  metrics?: MetricSink;
  now?: () => Date;
}

const idempotencyHeaders = z.object({ [IDEMPOTENCY_KEY_HEADER]: z.optional(idempotencyKeySchema) });
const customerParams = z.object({ customerId: customerIdSchema });
const setupParams = z.object({ setupId: setupIdSchema });
const registrationBodySchema = z.strictObject({ roleArn: roleArnSchema });
const connectionParams = z.object({ customerId: customerIdSchema, accountId: accountIdSchema });
const organizationParams = z.object({ customerId: customerIdSchema, organizationId: organizationIdSchema });
const noQuery = z.strictObject({});
const ORGANIZATION_REVOKE_CONCURRENCY = 10;
const listQuery = z.object({
  limit: z._default(
    z.coerce
      .number({ error: 'must be a number' })
      .check(
        z.int('must be a whole number'),
        z.gte(1, 'must be at least 1'),
        z.lte(100, 'must be at most 100'),
      ),
    50,
  ),
  cursor: z.optional(z.string().check(z.maxLength(2048, 'is too long'))),
});

export function setupApiRoutes({
  store,
  reads,
  revoker,
  settings,
  templateCatalogue,
  registrations,
  idempotency,
  metrics,
  now = () => new Date(),
}: SetupApiDependencies): Route[] {
  const upgrades = templateCatalogue
    ? { catalogue: templateCatalogue, templateUrl: settings.templateUrl }
    : undefined;
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
      const issue = async (validated: typeof input) => {
        const issued = await createSetup(validated, { store, settings, now: now() });
        // Counted where an offer is really issued: an idempotent replay is not a new onboarding.
        metrics?.addMetric(METRIC_NAMES.setupCreated, MetricUnit.Count, 1);
        return issued;
      };
      const offer = key && idempotency ? await idempotency.issueOnce(key, input, issue) : await issue(input);
      return { statusCode: 201, body: offer };
    },
    async getSetup(request, params) {
      const { setupId } = parseInput(setupParams, params);
      parseInput(noQuery, request.query, 'query');
      return { statusCode: 200, body: await describeSetup(store, setupId) };
    },
    async registerRole(request, params) {
      const { setupId } = parseInput(setupParams, params);
      if (!registrations) throw new NotFoundError('Registration by API is not enabled.');
      if (request.body === undefined)
        throw new ValidationError('Invalid request: body is required.', [
          { path: 'body', message: 'is required' },
        ]);
      const { roleArn } = parseInput(registrationBodySchema, request.body);
      const { outcome, account } = await registrations.register({ setupId, roleArn, source: 'api' });
      return { statusCode: outcome.kind === 'unchanged' ? 200 : 202, body: account };
    },
    async listConnections(request, params) {
      const { customerId } = parseInput(customerParams, params);
      const { limit, cursor } = parseInput(listQuery, request.query, 'query');
      const page = await store.listConnections(customerId, { limit, ...(cursor ? { cursor } : {}) });
      return {
        statusCode: 200,
        body: {
          connections: page.items.map((connection) => toConnectionView(connection, upgrades)),
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
    async revokeOrganization(request, params) {
      // Every connection proven a member of the organization, each by the one revocation path (§9.7).
      const { customerId, organizationId } = parseInput(organizationParams, params);
      parseInput(noQuery, request.query, 'query');
      const members: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listConnections(customerId, { limit: 100, ...(cursor ? { cursor } : {}) });
        for (const connection of page.items)
          if ('organizationId' in connection && connection.organizationId === organizationId)
            members.push(connection.accountId);
        cursor = page.cursor;
      } while (cursor);
      if (members.length === 0)
        throw new NotFoundError(
          `No connection of customer ${customerId} was proven a member of organization ${organizationId}.`,
        );
      const revoked: string[] = [];
      // A few at a time: an organization of 1,000 accounts stays within API Gateway's 29 s.
      for (let start = 0; start < members.length; start += ORGANIZATION_REVOKE_CONCURRENCY) {
        const batch = members.slice(start, start + ORGANIZATION_REVOKE_CONCURRENCY);
        const outcomes = await Promise.all(
          batch.map((accountId) =>
            revoker.revoke({
              customerId,
              accountId,
              actor: 'setup-api',
              reason: `organization ${organizationId} revoked through the API`,
              sourceEventId: request.requestId,
            }),
          ),
        );
        outcomes.forEach((outcome, i) => {
          if (outcome.kind === 'revoked') revoked.push(batch[i] as string);
        });
      }
      return {
        statusCode: 200,
        body: { organizationId, revoked: revoked.length, accountIds: revoked, members: members.length },
      };
    },
    async rotateExternalId(_request, params) {
      const { customerId, accountId } = parseInput(connectionParams, params);
      return {
        statusCode: 201,
        body: await startRotation({ customerId, accountId }, { store, settings, now: now() }),
      };
    },
    async getCustomerSummary(request, params) {
      const { customerId } = parseInput(customerParams, params);
      parseInput(noQuery, request.query, 'query');
      return { statusCode: 200, body: await summarizeCustomer(reads, customerId, now()) };
    },
    async listAudit(request, params) {
      const { customerId } = parseInput(customerParams, params);
      const query = parseInput(auditQuerySchema, request.query, 'query');
      return { statusCode: 200, body: await readCustomerAudit(reads, customerId, query) };
    },
    async getMigrationReport(request) {
      const query = parseInput(migrationQuerySchema, request.query, 'query');
      return { statusCode: 200, body: await buildMigrationReport(reads, query, now()) };
    },
  });
}
