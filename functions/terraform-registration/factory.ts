/**
 * The Terraform module's registration (its `aws_lambda_invocation`, CRUD lifecycle): registers on
 * apply, registers again on a change, revokes on destroy. Wiring only: the logic is in
 * shared/onboarding/terraform-registration.ts, on the registration core every channel shares.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import type { FunctionConfig } from '#shared/config.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { createApiRegistrations } from '#shared/onboarding/api-registration.ts';
import { pendingCapsFor } from '#shared/onboarding/pending-caps.ts';
import { createRevoker } from '#shared/onboarding/revocation.ts';
import { createTerraformRegistration } from '#shared/onboarding/terraform-registration.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import type { Platform } from '#shared/wiring/platform.ts';

export function createTerraformRegistrationHandler(
  platform: Platform<'documentClient' | 'eventBridge'>,
  config: FunctionConfig<'terraform-registration'>,
) {
  const logger = platform.createLogger('terraform-registration');
  const metrics = platform.createMetrics('terraform-registration');
  const store = createConnectionStore({ client: platform.documentClient, tableName: config.TABLE_NAME });
  const publisher = createEventPublisher({ client: platform.eventBridge, busName: config.EVENT_BUS_NAME });
  const answers = createAnswerSender({ policy: platform.responseUrlPolicy, tracer: platform.tracer });
  const clock = {
    ...(platform.now ? { now: platform.now } : {}),
    // The organization setups' share of the validator (invariant 10).
    caps: pendingCapsFor(config.VALIDATOR_RESERVED_CONCURRENCY),
  };
  const terraform = createTerraformRegistration({
    store,
    registrations: createApiRegistrations({
      store,
      publisher,
      answers,
      responseUrlPolicy: platform.responseUrlPolicy,
      logger,
      metrics,
      ...clock,
    }),
    revoker: createRevoker({ store, publisher, answers, logger, metrics, ...clock }),
  });

  // The tracer wraps the whole chain: every middleware runs in the invocation's
  // subsegment (docs/architecture.md §11).
  return platform.tracer.traceHandler(
    middy<unknown, unknown, Error, Context>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(logMetrics(metrics))
      .handler(async function terraformRegistration(event, context) {
        return terraform.handle(event, context.awsRequestId);
      }),
  );
}
