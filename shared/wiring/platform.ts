/**
 * What every Keyless function is built from: its AWS clients, where CloudFormation answers may go,
 * and its logger, metrics and tracer. A handler factory (`functions/<name>/factory.ts`) takes a Platform
 * and the function's configuration; in Lambda, `awsPlatform(clients)` supplies the real ones, and the
 * local runtime and the tests pass their own (docs/architecture.md §2, §8). Nothing here reads a
 * switch that could widen what production allows.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createResponseUrlPolicy, type ResponseUrlPolicy } from '../cloudformation/response-url.ts';
import { createLogger, createMetrics } from '../observability.ts';
import { createTracer, type Tracer } from '../tracing.ts';

/** The AWS clients a function may be built with; each function is handed only those it calls. */
export interface AwsClients {
  dynamoDb: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  eventBridge: EventBridgeClient;
  sts: STSClient;
  lambda: LambdaClient;
  secretsManager: SecretsManagerClient;
}

/** What every function gets, whatever it calls. */
export interface PlatformBase {
  /** The region the function runs in. */
  region: string;
  /**
   * Where SDK clients that a function creates itself (one per customer account) point; undefined
   * in Lambda, where the SDK finds the regional endpoint.
   */
  awsEndpoint?: string | undefined;
  /** The function's own name, as Lambda reports it (the broker's default SourceIdentity). */
  functionName?: string | undefined;
  /** Where CloudFormation answers may go. */
  responseUrlPolicy: ResponseUrlPolicy;
  createLogger(serviceName: string): Logger;
  createMetrics(serviceName: string): Metrics;
  /**
   * The function's X-Ray tracer, which has captured every client of the platform: a factory runs its
   * handler in it (`tracer.traceHandler`) and hands it to what makes calls of its own
   * (docs/architecture.md §11).
   */
  tracer: Tracer;
  now?: () => Date;
}

/**
 * A platform with the clients `C`. A factory names the clients it calls (`Platform<'sts' | …>`), so
 * its Lambda entry imports only those: every client left out is about 15–70 KB less bundle
 * (docs/architecture.md §9, *Bundles*). The local runtime and the tests hand every factory all of them.
 */
export type Platform<C extends keyof AwsClients = keyof AwsClients> = PlatformBase & Pick<AwsClients, C>;

/**
 * The platform of a Lambda execution environment: the clients the entry passes (created once, at
 * module load, by shared/clients/), each captured by the tracer, and the production allow-list.
 */
export function awsPlatform<C extends Partial<AwsClients>>(
  clients: C,
  env: Record<string, string | undefined> = process.env,
): PlatformBase & C {
  const tracer = createTracer(env.POWERTOOLS_SERVICE_NAME ?? 'keyless', { env });
  // The document client shares its DynamoDB client's middleware stack; a capture replaces any
  // earlier one on a stack, so each stack traces each call once.
  for (const client of Object.values(clients) as AwsClients[keyof AwsClients][])
    tracer.captureAWSv3Client(client);
  return {
    ...clients,
    tracer,
    region: env.AWS_REGION ?? 'us-east-1',
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    responseUrlPolicy: createResponseUrlPolicy(),
    createLogger,
    createMetrics,
  };
}
