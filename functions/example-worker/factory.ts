/**
 * Example downstream worker: reaches a customer's account through the credential broker
 * (@keyless/broker, the package any worker installs) and reports who it is there (STS
 * GetCallerIdentity). Wiring only: the call is in caller-identity.ts. A permanent refusal (revoked, not onboarded, denied…) ends
 * the work with a reason; anything else is thrown so Lambda retries the event.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import {
  type BrokerSettings,
  createBroker,
  isPermanentRefusal,
  type RevocationSetting,
} from '@keyless/broker';
import middy from '@middy/core';
import * as z from 'zod/mini';
import { countingVends } from '#shared/broker-metrics.ts';
import type { FunctionConfig } from '#shared/config.ts';
import { accountIdSchema, customerIdSchema } from '#shared/domain/identifiers.ts';
import { parseInput } from '#shared/onboarding/parse-input.ts';
import { observeAssumeRole } from '#shared/tracing.ts';
import type { Platform } from '#shared/wiring/platform.ts';
import { getCustomerCallerIdentity } from './caller-identity.ts';

export const exampleWorkerInputSchema = z.object({
  customerId: customerIdSchema,
  accountId: accountIdSchema,
});

export type ExampleWorkerResult =
  | { status: 'done'; account: string; arn: string }
  | { status: 'skipped'; reason: string };

type WorkerConfig = FunctionConfig<'example-worker'>;

/** How revocation reaches the broker, from the validated variables (docs/architecture.md §2.3). */
function revocationOf(config: WorkerConfig): RevocationSetting {
  switch (config.REVOCATION_MODE) {
    case 'feed':
      return { mode: 'feed', intervalSeconds: config.REVOCATION_FEED_INTERVAL_SECONDS };
    case 'bounded':
      return { mode: 'bounded', stalenessSeconds: config.REVOCATION_STALENESS_SECONDS };
    default:
      // A staleness bound without a mode keeps meaning what it meant before the modes existed.
      return config.REVOCATION_STALENESS_SECONDS > 0
        ? { mode: 'bounded', stalenessSeconds: config.REVOCATION_STALENESS_SECONDS }
        : { mode: 'strict' };
  }
}

export function brokerSettingsOf(config: WorkerConfig, functionName: string | undefined): BrokerSettings {
  return {
    tableName: config.TABLE_NAME,
    serviceName: config.POWERTOOLS_SERVICE_NAME,
    sourceIdentity: functionName ?? config.POWERTOOLS_SERVICE_NAME,
    refreshBufferSeconds: config.CREDENTIAL_REFRESH_BUFFER_SECONDS,
    revocation: revocationOf(config),
    revalidationFunctionName: config.REVALIDATION_FUNCTION_NAME,
  };
}

export function createExampleWorkerHandler(
  platform: Platform<'dynamoDb' | 'sts' | 'lambda' | 'secretsManager'>,
  config: WorkerConfig,
) {
  const logger = platform.createLogger('example-worker');
  const metrics = platform.createMetrics('example-worker');
  // Once per execution environment: the broker's session cache outlives invocations. Its vends and
  // AssumeRole failures are counted, and each AssumeRole traced (docs/architecture.md §11).
  const traced = createBroker({
    clients: {
      dynamoDb: platform.dynamoDb,
      sts: platform.sts,
      secretsManager: platform.secretsManager,
      lambda: platform.lambda,
    },
    settings: brokerSettingsOf(config, platform.functionName),
    logger,
    observeAssumeRole: observeAssumeRole({ tracer: platform.tracer, metrics }),
  });
  const broker = countingVends(traced, metrics);
  const { region, awsEndpoint: endpoint } = platform;

  // The tracer wraps the whole chain: every middleware runs in the invocation's
  // subsegment (docs/architecture.md §11).
  return platform.tracer.traceHandler(
    middy<unknown, ExampleWorkerResult>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(logMetrics(metrics))
      .handler(async function exampleWorker(event) {
        const { customerId, accountId } = parseInput(exampleWorkerInputSchema, event);
        logger.appendKeys({ customerId, accountId });
        try {
          const identity = await getCustomerCallerIdentity(broker, {
            customerId,
            accountId,
            region,
            endpoint,
          });
          logger.info('Reached the customer account', { arn: identity.arn });
          return { status: 'done', ...identity };
        } catch (error) {
          if (!isPermanentRefusal(error)) throw error;
          logger.warn('Customer account not reachable; dropping the work', { reason: error.name });
          return { status: 'skipped', reason: error.name };
        }
      }),
  );
}
