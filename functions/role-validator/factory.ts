/**
 * Proves registered roles (EventBridge `Role Registered`) and, in re-validation mode (the daily
 * schedule's `{ "mode": "revalidate" }`, or by hand with a customerId and accountId), re-checks
 * live connections. Wiring only: the logic is in shared/onboarding/validation.ts and role-proof.ts.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { createDescribeOrganization } from '#shared/clients/organizations.ts';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import type { FunctionConfig } from '#shared/config.ts';
import { accountIdSchema, customerIdSchema } from '#shared/domain/identifiers.ts';
import { DETAIL_TYPES, eventBridgeEnvelope } from '#shared/events/catalog.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { correlationIdFrom } from '#shared/observability.ts';
import { createMembershipChecker } from '#shared/onboarding/organization-membership.ts';
import { parseInput } from '#shared/onboarding/parse-input.ts';
import { pendingCapsFor } from '#shared/onboarding/pending-caps.ts';
import { createRoleProver, type RoleProverOptions } from '#shared/onboarding/role-proof.ts';
import { createValidator } from '#shared/onboarding/validation.ts';
import { createPermissionChecker } from '#shared/permissions/permission-check.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import type { Platform } from '#shared/wiring/platform.ts';
import type { CaptureClient } from '#shared/xray/tracer.ts';

export const validatorInputSchema = z.union([
  eventBridgeEnvelope(DETAIL_TYPES.roleRegistered),
  z
    .strictObject({
      mode: z.literal('revalidate'),
      customerId: z.optional(customerIdSchema),
      accountId: z.optional(accountIdSchema),
    })
    // An account alone would silently widen to every connection: it needs its customer.
    .check(
      z.refine((input) => !input.accountId || input.customerId, {
        message: 'accountId needs its customerId',
        path: ['customerId'],
      }),
    ),
]);
export type ValidatorInput = z.input<typeof validatorInputSchema>;

export function createRoleValidatorHandler(
  platform: Platform<'documentClient' | 'eventBridge' | 'sts'>,
  config: FunctionConfig<'role-validator'>,
  /** The prover's clock, sleep and backoff, for tests that must not wait for IAM propagation. */
  proverOptions: Omit<RoleProverOptions, 'sts'> = {},
) {
  const logger = platform.createLogger('role-validator');
  const metrics = platform.createMetrics('role-validator');
  // The clients made for each customer session are traced as the platform's are (docs/architecture.md §11).
  const captureClient: CaptureClient = (client) => platform.tracer.captureAWSv3Client(client);
  const validator = createValidator({
    store: createConnectionStore({ client: platform.documentClient, tableName: config.TABLE_NAME }),
    publisher: createEventPublisher({ client: platform.eventBridge, busName: config.EVENT_BUS_NAME }),
    answers: createAnswerSender({ policy: platform.responseUrlPolicy, tracer: platform.tracer }),
    prover: createRoleProver({ sts: platform.sts, captureClient, ...proverOptions }),
    templateCatalogue: config.TEMPLATE_CATALOGUE,
    permissions: createPermissionChecker({
      checks: config.PERMISSION_CHECKS,
      region: platform.region,
      endpoint: platform.awsEndpoint,
      captureClient,
    }),
    membership: createMembershipChecker({
      describeOrganization: createDescribeOrganization({
        region: platform.region,
        endpoint: platform.awsEndpoint,
        captureClient,
      }),
      ...(proverOptions.sleep ? { sleep: proverOptions.sleep } : {}),
    }),
    logger,
    metrics,
    // Its own share for organization setups: the queues it drains (invariant 10).
    caps: pendingCapsFor(config.VALIDATOR_RESERVED_CONCURRENCY),
    ...(platform.now ? { now: platform.now } : {}),
  });

  // The tracer wraps the whole chain: every middleware runs in the invocation's
  // subsegment (docs/architecture.md §11).
  return platform.tracer.traceHandler(
    middy<ValidatorInput, unknown, Error, Context>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(correlationIdFrom(logger, ['id'], ['detail', 'correlationId']))
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
      }),
  );
}
