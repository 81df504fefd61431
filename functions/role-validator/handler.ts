/**
 * Proves registered roles (EventBridge `Role Registered`) and, in re-validation mode (the daily
 * schedule's `{ "mode": "revalidate" }`, or by hand with a customerId and accountId), re-checks
 * live connections. Wiring only: the logic is in shared/onboarding/validation.ts and role-proof.ts.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { documentClient } from '#shared/clients/dynamodb.ts';
import { eventBridgeClient } from '#shared/clients/eventbridge.ts';
import { stsClient } from '#shared/clients/sts.ts';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import { createResponseUrlPolicy } from '#shared/cloudformation/response-url.ts';
import { loadConfig } from '#shared/config.ts';
import { accountIdSchema, customerIdSchema } from '#shared/domain/identifiers.ts';
import { DETAIL_TYPES, eventBridgeEnvelope } from '#shared/events/catalog.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { createLogger, createMetrics } from '#shared/observability.ts';
import { parseInput } from '#shared/onboarding/parse-input.ts';
import { createRoleProver } from '#shared/onboarding/role-proof.ts';
import { createValidator } from '#shared/onboarding/validation.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'LOCAL_RESPONSE_ORIGIN']);
const logger = createLogger('role-validator');
const metrics = createMetrics('role-validator');
const validator = createValidator({
  store: createConnectionStore({ client: documentClient, tableName: config.TABLE_NAME }),
  publisher: createEventPublisher({ client: eventBridgeClient, busName: config.EVENT_BUS_NAME }),
  answers: createAnswerSender({
    policy: createResponseUrlPolicy({ localOrigin: config.LOCAL_RESPONSE_ORIGIN }),
  }),
  prover: createRoleProver({ sts: stsClient }),
  logger,
  metrics,
});

export const validatorInputSchema = z.union([
  eventBridgeEnvelope(DETAIL_TYPES.roleRegistered),
  z
    .strictObject({
      mode: z.literal('revalidate'),
      customerId: customerIdSchema.optional(),
      accountId: accountIdSchema.optional(),
    })
    // An account alone would silently widen to every connection: it needs its customer.
    .refine((input) => !input.accountId || input.customerId, {
      message: 'accountId needs its customerId',
      path: ['customerId'],
    }),
]);
export type ValidatorInput = z.input<typeof validatorInputSchema>;

export const handler = middy<ValidatorInput, unknown, Error, Context>()
  .use(injectLambdaContext(logger, { correlationIdPath: 'id || detail.correlationId', resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async function roleValidator(event, context) {
    const input = parseInput(validatorInputSchema, event);
    const remainingMs = () => context.getRemainingTimeInMillis();
    if ('mode' in input) {
      return validator.revalidate(
        {
          ...(input.customerId ? { customerId: input.customerId } : {}),
          ...(input.accountId ? { accountId: input.accountId } : {}),
        },
        { remainingMs, eventId: context.awsRequestId },
      );
    }
    return validator.validateRegistration(input.detail, { remainingMs, eventId: input.id });
  });
