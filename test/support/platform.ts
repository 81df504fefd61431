/**
 * The platform and configuration tests build handlers from, with the same factories the Lambda
 * entries and the local runtime use: the test table's clients, fresh SDK clients for the rest
 * (aws-sdk-client-mock intercepts them where a test mocks a service), and the local ResponseURL
 * policy for the test's own receiver. No test sets process.env to build a handler.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { localResponseUrlPolicy } from '#local/emulator/response-receiver.ts';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';
import { createResponseUrlPolicy } from '#shared/cloudformation/response-url.ts';
import { type FunctionConfig, loadFunctionConfig } from '#shared/config.ts';
import { createLogger, createMetrics } from '#shared/observability.ts';
import { createTracer } from '#shared/tracing.ts';
import type { FunctionName } from '#shared/wiring/function-catalogue.ts';
import type { Platform } from '#shared/wiring/platform.ts';
import type { createTestTable } from './dynamodb.ts';

type TestTable = Pick<Awaited<ReturnType<typeof createTestTable>>, 'client' | 'documentClient'>;

export function testPlatform({
  table,
  responseOrigin,
  sts = new STSClient({}),
  awsEndpoint,
  functionName,
}: {
  table: TestTable;
  /** The test's ResponseURL receiver; without it, only the production allow-list. */
  responseOrigin?: string;
  sts?: STSClient;
  /** Where clients the function creates itself point. */
  awsEndpoint?: string;
  functionName?: string;
}): Platform {
  return {
    dynamoDb: table.client,
    documentClient: table.documentClient ?? createDocumentClient(table.client),
    eventBridge: new EventBridgeClient({}),
    sts,
    lambda: new LambdaClient({}),
    secretsManager: new SecretsManagerClient({}),
    region: 'us-east-1',
    awsEndpoint,
    functionName,
    responseUrlPolicy: responseOrigin ? localResponseUrlPolicy(responseOrigin) : createResponseUrlPolicy(),
    createLogger,
    createMetrics,
    tracer: createTracer('keyless-test', { enabled: false }),
  };
}

/** A deployment's variables, as the stack sets them, for a test table. */
export function testEnvironment(
  tableName: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    TABLE_NAME: tableName,
    EVENT_BUS_NAME: 'keyless-test',
    PROVIDER_ACCOUNT_ID: '999988887777',
    HOME_REGION: 'us-east-1',
    TEMPLATE_URL: 'https://keyless-templates.s3.amazonaws.com/templates/v1.json',
    // One version: no connection has an upgrade unless a test gives a catalogue with more.
    TEMPLATE_CATALOGUE: JSON.stringify({ current: 1, parameters: [], upgrades: {} }),
    REGISTRATION_TOPIC_ARNS: JSON.stringify({
      'us-east-1': 'arn:aws:sns:us-east-1:999988887777:keyless-test-registrations',
      'eu-west-1': 'arn:aws:sns:eu-west-1:999988887777:keyless-test-registrations',
    }),
    SETUP_TTL_DAYS: '7',
    LEGACY_GRACE_DAYS: '90',
    REMINDER_INTERVAL_DAYS: '7',
    CREDENTIAL_REFRESH_BUFFER_SECONDS: '300',
    REVOCATION_STALENESS_SECONDS: '0',
    POWERTOOLS_SERVICE_NAME: 'keyless',
    ...overrides,
  };
}

/** The configuration of one function from `testEnvironment`, validated as at its cold start. */
export function testConfig<N extends FunctionName>(
  name: N,
  tableName: string,
  overrides: Record<string, string> = {},
): FunctionConfig<N> {
  return loadFunctionConfig(name, testEnvironment(tableName, overrides));
}
