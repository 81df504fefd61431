/**
 * CloudFormation custom-resource requests of `Custom::KeylessRegistration`, delivered by the
 * registrations SNS topic (or directly, with a Lambda ServiceToken). Wiring only: every check and
 * decision is in shared/onboarding/registration.ts. A thrown error (state or events not written)
 * lets Lambda retry; redelivery is harmless.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import { type RegistrationEvent, toDeliveries } from '#shared/cloudformation/request.ts';
import type { FunctionConfig } from '#shared/config.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { correlationIdFrom } from '#shared/observability.ts';
import { pendingCapsFor } from '#shared/onboarding/pending-caps.ts';
import { createRegistrationHandler, type RegistrationOutcome } from '#shared/onboarding/registration.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import type { Platform } from '#shared/wiring/platform.ts';

export function createRegistrationCallbackHandler(
  platform: Platform<'documentClient' | 'eventBridge'>,
  config: FunctionConfig<'registration-callback'>,
) {
  const logger = platform.createLogger('registration-callback');
  const metrics = platform.createMetrics('registration-callback');
  const registration = createRegistrationHandler({
    store: createConnectionStore({ client: platform.documentClient, tableName: config.TABLE_NAME }),
    publisher: createEventPublisher({ client: platform.eventBridge, busName: config.EVENT_BUS_NAME }),
    answers: createAnswerSender({ policy: platform.responseUrlPolicy, tracer: platform.tracer }),
    responseUrlPolicy: platform.responseUrlPolicy,
    logger,
    metrics,
    // The organization setups' share of the validator (invariant 10).
    caps: pendingCapsFor(config.VALIDATOR_RESERVED_CONCURRENCY),
    ...(platform.now ? { now: platform.now } : {}),
  });

  // The tracer wraps the whole chain: every middleware runs in the invocation's
  // subsegment (docs/architecture.md §11).
  return platform.tracer.traceHandler(
    middy<RegistrationEvent, { outcomes: RegistrationOutcome['kind'][] }>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(correlationIdFrom(logger, ['Records', 0, 'Sns', 'MessageId'], ['RequestId']))
      .use(logMetrics(metrics))
      .handler(async function registrationCallback(event) {
        const outcomes: RegistrationOutcome['kind'][] = [];
        for (const delivery of toDeliveries(event)) outcomes.push((await registration.handle(delivery)).kind);
        return { outcomes };
      }),
  );
}
