/**
 * The setup API (API Gateway, REST or HTTP API): POST /setups, GET /customers/{customerId}/connections,
 * POST /customers/{customerId}/connections/{accountId}/revoke and …/rotate. Wiring only: the routes
 * live in shared/onboarding/setup-api.ts, errors become 4xx/500 answers in shared/http.
 */

import { correlationPaths } from '@aws-lambda-powertools/logger/correlationId';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { documentClient } from '#shared/clients/dynamodb.ts';
import { eventBridgeClient } from '#shared/clients/eventbridge.ts';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import { createResponseUrlPolicy } from '#shared/cloudformation/response-url.ts';
import { loadConfig } from '#shared/config.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { apiErrorHandler } from '#shared/http/error-handler.ts';
import { type ApiGatewayEvent, toApiRequest } from '#shared/http/request.ts';
import { type ApiResponse, createRouter } from '#shared/http/router.ts';
import { createLogger, createMetrics } from '#shared/observability.ts';
import { createRevoker } from '#shared/onboarding/revocation.ts';
import { setupApiRoutes } from '#shared/onboarding/setup-api.ts';
import { createSetupIdempotency } from '#shared/onboarding/setup-idempotency.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';

const config = loadConfig([
  'TABLE_NAME',
  'EVENT_BUS_NAME',
  'TEMPLATE_URL',
  'HOME_REGION',
  'REGISTRATION_TOPIC_ARNS',
  'SETUP_TTL_DAYS',
  'LOCAL_RESPONSE_ORIGIN',
]);
const logger = createLogger('setup-api');
const metrics = createMetrics('setup-api');
const store = createConnectionStore({ client: documentClient, tableName: config.TABLE_NAME });
const publisher = createEventPublisher({ client: eventBridgeClient, busName: config.EVENT_BUS_NAME });
const idempotency = createSetupIdempotency({ tableName: config.TABLE_NAME });
const route = createRouter(
  setupApiRoutes({
    store,
    revoker: createRevoker({
      store,
      publisher,
      answers: createAnswerSender({
        policy: createResponseUrlPolicy({ localOrigin: config.LOCAL_RESPONSE_ORIGIN }),
      }),
      logger,
      metrics,
    }),
    settings: {
      templateUrl: config.TEMPLATE_URL,
      homeRegion: config.HOME_REGION,
      regions: Object.keys(config.REGISTRATION_TOPIC_ARNS),
      setupTtlDays: config.SETUP_TTL_DAYS,
    },
    idempotency,
  }),
);

export const handler = middy<ApiGatewayEvent, ApiResponse, Error, Context>()
  .use(injectLambdaContext(logger, { correlationIdPath: correlationPaths.API_GATEWAY_HTTP, resetKeys: true }))
  .use(logMetrics(metrics))
  .use(apiErrorHandler({ logger }))
  .handler(async function setupApi(event, context) {
    idempotency.registerLambdaContext(context);
    return route(toApiRequest(event));
  });
