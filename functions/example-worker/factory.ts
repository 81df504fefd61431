/**
 * Example downstream worker: reaches a customer's account through the credential broker and
 * reports who it is there (STS GetCallerIdentity). Wiring only: the call is in
 * shared/broker/caller-identity.ts. A permanent refusal (revoked, not onboarded, denied…) ends
 * the work with a reason; anything else is thrown so Lambda retries the event.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { getCustomerCallerIdentity } from '#shared/broker/caller-identity.ts';
import { isPermanentRefusal } from '#shared/broker/errors.ts';
import { createBroker } from '#shared/broker/from-environment.ts';
import type { FunctionConfig } from '#shared/config.ts';
import { accountIdSchema, customerIdSchema } from '#shared/domain/identifiers.ts';
import { parseInput } from '#shared/onboarding/parse-input.ts';
import type { Platform } from '#shared/wiring/platform.ts';

export const exampleWorkerInputSchema = z.object({
  customerId: customerIdSchema,
  accountId: accountIdSchema,
});

export type ExampleWorkerResult =
  | { status: 'done'; account: string; arn: string }
  | { status: 'skipped'; reason: string };

export function createExampleWorkerHandler(platform: Platform, config: FunctionConfig<'example-worker'>) {
  const logger = platform.createLogger('example-worker');
  // Once per execution environment: the broker's session cache outlives invocations.
  const broker = createBroker({ clients: platform, config, logger, functionName: platform.functionName });
  const { region, awsEndpoint: endpoint } = platform;

  return middy<unknown, ExampleWorkerResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async function exampleWorker(event) {
      const { customerId, accountId } = parseInput(exampleWorkerInputSchema, event);
      logger.appendKeys({ customerId, accountId });
      try {
        const identity = await getCustomerCallerIdentity(broker, { customerId, accountId, region, endpoint });
        logger.info('Reached the customer account', { arn: identity.arn });
        return { status: 'done', ...identity };
      } catch (error) {
        if (!isPermanentRefusal(error)) throw error;
        logger.warn('Customer account not reachable; dropping the work', { reason: error.name });
        return { status: 'skipped', reason: error.name };
      }
    });
}
