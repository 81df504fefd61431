/**
 * The platform the local runtime builds every function from: AWS clients pointed at the local
 * endpoint, the local ResponseURL policy (the production allow-list plus the local receiver), and
 * the local logger. The same factories as in Lambda get it (local/emulator/function-table.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';
import { createMetrics } from '#shared/observability.ts';
import { createTracer } from '#shared/tracing.ts';
import type { Platform } from '#shared/wiring/platform.ts';
import { createLocalLogger } from './pretty-logger.ts';
import { localResponseUrlPolicy } from './response-receiver.ts';

export interface LocalPlatformOptions {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The origin of the local ResponseURL receiver. */
  responseOrigin: string;
  /** The functions' clock (`/_local/clock` moves it on); the real one when absent. */
  now?: () => Date;
  /**
   * A function's own credentials, by function name, for its STS client: the key local STS knows as
   * that function's execution role (docs/architecture.md §8). The others share `credentials`.
   */
  functionCredentials?: Readonly<Record<string, { accessKeyId: string; secretAccessKey: string }>>;
}

/** One set of clients for every function; `forFunction` names the function it is handed to. */
export function createLocalPlatform({
  endpoint,
  region,
  credentials,
  responseOrigin,
  now,
  functionCredentials = {},
}: LocalPlatformOptions) {
  const config = { endpoint, region, credentials };
  const dynamoDb = new DynamoDBClient(config);
  const shared = {
    dynamoDb,
    documentClient: createDocumentClient(dynamoDb),
    eventBridge: new EventBridgeClient(config),
    sts: new STSClient(config),
    lambda: new LambdaClient(config),
    secretsManager: new SecretsManagerClient(config),
    region,
    awsEndpoint: endpoint,
    responseUrlPolicy: localResponseUrlPolicy(responseOrigin),
    createLogger: createLocalLogger,
    createMetrics: (serviceName: string) => createMetrics(serviceName, createLocalLogger(serviceName)),
    // No X-Ray daemon here: tracing is off, quietly (docs/architecture.md §8, §11).
    tracer: createTracer('keyless', { enabled: false }),
    ...(now ? { now } : {}),
  };
  const ownSts = new Map<string, STSClient>();
  const stsFor = (functionName: string) => {
    const own = functionCredentials[functionName];
    if (!own) return shared.sts;
    const client = ownSts.get(functionName) ?? new STSClient({ ...config, credentials: own });
    ownSts.set(functionName, client);
    return client;
  };
  return {
    forFunction: (functionName: string): Platform => ({ ...shared, sts: stsFor(functionName), functionName }),
  };
}
