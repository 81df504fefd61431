/**
 * The setup API (API Gateway, REST or HTTP API): POST /setups, GET /customers/{customerId}/connections,
 * POST /customers/{customerId}/connections/{accountId}/revoke and …/rotate, and the operators' reads
 * (GET /customers/{customerId}, …/audit, GET /migration), and registration by API
 * (GET /setups/{setupId}, POST /setups/{setupId}/registrations). Wiring only: the routes
 * live in shared/onboarding/setup-api.ts, errors become 4xx/500 answers in shared/http.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import type { FunctionConfig } from '#shared/config.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { apiErrorHandler } from '#shared/http/error-handler.ts';
import { type ApiGatewayEvent, toApiRequest } from '#shared/http/request.ts';
import { type ApiResponse, createRouter } from '#shared/http/router.ts';
import { correlationIdFrom } from '#shared/observability.ts';
import { createApiRegistrations } from '#shared/onboarding/api-registration.ts';
import { pendingCapsFor } from '#shared/onboarding/pending-caps.ts';
import { createRevoker } from '#shared/onboarding/revocation.ts';
import { setupApiRoutes } from '#shared/onboarding/setup-api.ts';
import { createSetupIdempotency } from '#shared/onboarding/setup-idempotency.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { createOperatorReads } from '#shared/store/operator-reads.ts';
import type { Platform } from '#shared/wiring/platform.ts';

export function createSetupApiHandler(
  platform: Platform<'dynamoDb' | 'documentClient' | 'eventBridge'>,
  config: FunctionConfig<'setup-api'>,
) {
  const logger = platform.createLogger('setup-api');
  const metrics = platform.createMetrics('setup-api');
  const store = createConnectionStore({ client: platform.documentClient, tableName: config.TABLE_NAME });
  const publisher = createEventPublisher({ client: platform.eventBridge, busName: config.EVENT_BUS_NAME });
  const idempotency = createSetupIdempotency({ tableName: config.TABLE_NAME, client: platform.dynamoDb });
  const answers = createAnswerSender({ policy: platform.responseUrlPolicy, tracer: platform.tracer });
  const clock = {
    ...(platform.now ? { now: platform.now } : {}),
    // The organization setups' share of the validator (invariant 10).
    caps: pendingCapsFor(config.VALIDATOR_RESERVED_CONCURRENCY),
  };
  // Registration by API runs the callback's own core (docs/architecture.md §9.6).
  const registrations = createApiRegistrations({
    store,
    publisher,
    answers,
    responseUrlPolicy: platform.responseUrlPolicy,
    logger,
    metrics,
    ...clock,
  });
  const route = createRouter(
    setupApiRoutes({
      store,
      reads: createOperatorReads({ client: platform.documentClient, tableName: config.TABLE_NAME }),
      revoker: createRevoker({ store, publisher, answers, logger, metrics, ...clock }),
      registrations,
      settings: {
        templateUrl: config.TEMPLATE_URL,
        homeRegion: config.HOME_REGION,
        regions: Object.keys(config.REGISTRATION_TOPIC_ARNS),
        setupTtlDays: config.SETUP_TTL_DAYS,
        stackNamePrefix: config.CUSTOMER_STACK_NAME_PREFIX,
      },
      templateCatalogue: config.TEMPLATE_CATALOGUE,
      idempotency,
      metrics,
    }),
  );

  // The tracer wraps the whole chain: every middleware runs in the invocation's
  // subsegment (docs/architecture.md §11).
  return platform.tracer.traceHandler(
    middy<ApiGatewayEvent, ApiResponse, Error, Context>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(correlationIdFrom(logger, ['requestContext', 'requestId']))
      .use(logMetrics(metrics))
      .use(apiErrorHandler({ logger }))
      .handler(async function setupApi(event, context) {
        idempotency.registerLambdaContext(context);
        return route(toApiRequest(event));
      }),
  );
}
