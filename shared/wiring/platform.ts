/**
 * What every Keyless function is built from: its AWS clients, where CloudFormation answers may go,
 * and its logger, metrics and tracer. A handler factory (`functions/<name>/factory.ts`) takes a Platform
 * and the function's configuration; in Lambda, `awsPlatform()` supplies the real ones, and the
 * local runtime and the tests pass their own (docs/architecture.md §2, §8). Nothing here reads a
 * switch that could widen what production allows.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient, dynamoDbClient } from '../clients/dynamodb.ts';
import { eventBridgeClient } from '../clients/eventbridge.ts';
import { lambdaClient } from '../clients/lambda.ts';
import { secretsManagerClient } from '../clients/secrets-manager.ts';
import { stsClient } from '../clients/sts.ts';
import { createResponseUrlPolicy, type ResponseUrlPolicy } from '../cloudformation/response-url.ts';
import { createLogger, createMetrics } from '../observability.ts';
import { createTracer } from '../tracing.ts';

export interface Platform {
  dynamoDb: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  eventBridge: EventBridgeClient;
  sts: STSClient;
  lambda: LambdaClient;
  secretsManager: SecretsManagerClient;
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
   * The function's X-Ray tracer, which has captured every client above: a factory wraps its handler
   * with it (captureLambdaHandler) and hands it to what makes calls of its own (docs/architecture.md §11).
   */
  tracer: Tracer;
  now?: () => Date;
}

/** The platform of a Lambda execution environment: clients created once, the production allow-list. */
export function awsPlatform(env: Record<string, string | undefined> = process.env): Platform {
  const tracer = createTracer(env.POWERTOOLS_SERVICE_NAME ?? 'keyless');
  // The document client shares the DynamoDB client's middleware, so it is traced with it.
  for (const client of [dynamoDbClient, eventBridgeClient, stsClient, lambdaClient, secretsManagerClient]) {
    tracer.captureAWSv3Client(client);
  }
  return {
    tracer,
    dynamoDb: dynamoDbClient,
    documentClient,
    eventBridge: eventBridgeClient,
    sts: stsClient,
    lambda: lambdaClient,
    secretsManager: secretsManagerClient,
    region: env.AWS_REGION ?? 'us-east-1',
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    responseUrlPolicy: createResponseUrlPolicy(),
    createLogger,
    createMetrics,
  };
}
