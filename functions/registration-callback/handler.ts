/**
 * CloudFormation custom-resource requests of `Custom::KeylessRegistration`, delivered by the
 * registrations SNS topic (or directly, with a Lambda ServiceToken). Wiring only: every check and
 * decision is in shared/onboarding/registration.ts. A thrown error (state or events not written)
 * lets Lambda retry; redelivery is harmless.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { documentClient } from '#shared/clients/dynamodb.ts';
import { eventBridgeClient } from '#shared/clients/eventbridge.ts';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import { type RegistrationEvent, toDeliveries } from '#shared/cloudformation/request.ts';
import { createResponseUrlPolicy } from '#shared/cloudformation/response-url.ts';
import { loadConfig } from '#shared/config.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { createLogger, createMetrics } from '#shared/observability.ts';
import { createRegistrationHandler, type RegistrationOutcome } from '#shared/onboarding/registration.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'LOCAL_RESPONSE_ORIGIN']);
const logger = createLogger('registration-callback');
const metrics = createMetrics('registration-callback');
const responseUrlPolicy = createResponseUrlPolicy({ localOrigin: config.LOCAL_RESPONSE_ORIGIN });
const registration = createRegistrationHandler({
  store: createConnectionStore({ client: documentClient, tableName: config.TABLE_NAME }),
  publisher: createEventPublisher({ client: eventBridgeClient, busName: config.EVENT_BUS_NAME }),
  answers: createAnswerSender({ policy: responseUrlPolicy }),
  responseUrlPolicy,
  logger,
  metrics,
});

export const handler = middy<RegistrationEvent, { outcomes: RegistrationOutcome['kind'][] }>()
  .use(
    injectLambdaContext(logger, {
      correlationIdPath: 'Records[0].Sns.MessageId || RequestId',
      resetKeys: true,
    }),
  )
  .use(logMetrics(metrics))
  .handler(async function registrationCallback(event) {
    const outcomes: RegistrationOutcome['kind'][] = [];
    for (const delivery of toDeliveries(event)) outcomes.push((await registration.handle(delivery)).kind);
    return { outcomes };
  });
