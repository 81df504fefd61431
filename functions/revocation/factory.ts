/**
 * Revokes a connection when its integration stack goes away: `Integration Stack Deleted` from the
 * callback, or a forwarded "CloudFormation Stack Status Change" with a DELETE status (the rule is
 * RULES.stackDeleted in shared/events/rules.ts). Wiring only: shared/onboarding/revocation.ts.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod/mini';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import type { FunctionConfig } from '#shared/config.ts';
import { DETAIL_TYPES, eventBridgeEnvelope, stackStatusChangeSchema } from '#shared/events/catalog.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { correlationIdFrom } from '#shared/observability.ts';
import { parseInput } from '#shared/onboarding/parse-input.ts';
import { createRevoker } from '#shared/onboarding/revocation.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import type { Platform } from '#shared/wiring/platform.ts';

export const revocationInputSchema = z.union([
  eventBridgeEnvelope(DETAIL_TYPES.integrationStackDeleted),
  stackStatusChangeSchema,
]);
export type RevocationInput = z.input<typeof revocationInputSchema>;

export function createRevocationHandler(
  platform: Platform<'documentClient' | 'eventBridge'>,
  config: FunctionConfig<'revocation'>,
) {
  const logger = platform.createLogger('revocation');
  const metrics = platform.createMetrics('revocation');
  const revoker = createRevoker({
    store: createConnectionStore({ client: platform.documentClient, tableName: config.TABLE_NAME }),
    publisher: createEventPublisher({ client: platform.eventBridge, busName: config.EVENT_BUS_NAME }),
    // A stack deleted while its Create still waits for validation gets that Create answered FAILED.
    answers: createAnswerSender({ policy: platform.responseUrlPolicy, tracer: platform.tracer }),
    logger,
    metrics,
    ...(platform.now ? { now: platform.now } : {}),
  });

  // The tracer wraps the whole chain: every middleware runs in the invocation's
  // subsegment (docs/architecture.md §11).
  return platform.tracer.traceHandler(
    middy<RevocationInput>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(correlationIdFrom(logger, ['id']))
      .use(logMetrics(metrics))
      .handler(async function revocation(event) {
        const input = parseInput(revocationInputSchema, event);
        const outcome =
          input.source === 'aws.cloudformation'
            ? await revoker.onStackStatusChange(input)
            : await revoker.onIntegrationStackDeleted(input.detail, input.id);
        logger.info('Revocation outcome', {
          outcome: outcome.kind,
          ...(outcome.kind === 'unchanged' ? { reason: outcome.reason } : {}),
        });
        return { outcome: outcome.kind };
      }),
  );
}
