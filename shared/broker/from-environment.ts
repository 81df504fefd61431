/**
 * The broker a downstream Lambda uses, wired from its environment. Call it once at module load,
 * so the session cache survives across invocations of the execution environment.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../clients/dynamodb.ts';
import { lambdaClient } from '../clients/lambda.ts';
import { secretsManagerClient } from '../clients/secrets-manager.ts';
import { stsClient } from '../clients/sts.ts';
import { type ConfigFor, loadConfig } from '../config.ts';
import { createLegacyKeyReader } from '../legacy/legacy-keys.ts';
import { createConnectionStore } from '../store/connection-store.ts';
import { type CredentialBroker, createCredentialBroker } from './credential-broker.ts';
import { createRepeatedDenialWatch } from './repeated-denials.ts';
import { createRevalidationInvoker } from './revalidation-request.ts';

/** The clients a broker uses; in Lambda, the module-level ones. */
export interface BrokerClients {
  documentClient: DynamoDBDocumentClient;
  sts: STSClient;
  lambda: LambdaClient;
  secretsManager: SecretsManagerClient;
}

/** The broker settings a function's environment holds. */
export type BrokerConfig = ConfigFor<(typeof BROKER_VARIABLES)[number]>;

const BROKER_VARIABLES = [
  'TABLE_NAME',
  'POWERTOOLS_SERVICE_NAME',
  'CREDENTIAL_REFRESH_BUFFER_SECONDS',
  'REVOCATION_STALENESS_SECONDS',
  'REVALIDATION_FUNCTION_NAME',
] as const;

/**
 * The broker from validated settings: TABLE_NAME, CREDENTIAL_REFRESH_BUFFER_SECONDS,
 * REVOCATION_STALENESS_SECONDS and POWERTOOLS_SERVICE_NAME (the `<service>` of session names);
 * the SourceIdentity is the function's own name. With REVALIDATION_FUNCTION_NAME (the role
 * validator), a role that denies AssumeRole repeatedly is sent for re-validation.
 */
export function createBroker({
  clients,
  config,
  logger,
  functionName,
}: {
  clients: BrokerClients;
  config: BrokerConfig;
  logger: Logger;
  functionName?: string | undefined;
}): CredentialBroker {
  const revalidationFunction = config.REVALIDATION_FUNCTION_NAME;
  return createCredentialBroker({
    store: createConnectionStore({ client: clients.documentClient, tableName: config.TABLE_NAME }),
    sts: clients.sts,
    legacyKeys: createLegacyKeyReader({
      provider: new SecretsProvider({ awsSdkV3Client: clients.secretsManager }),
    }),
    serviceName: config.POWERTOOLS_SERVICE_NAME,
    sourceIdentity: functionName ?? config.POWERTOOLS_SERVICE_NAME,
    logger,
    refreshBufferSeconds: config.CREDENTIAL_REFRESH_BUFFER_SECONDS,
    revocationStalenessSeconds: config.REVOCATION_STALENESS_SECONDS,
    ...(revalidationFunction
      ? {
          repeatedDenials: createRepeatedDenialWatch({
            requestRevalidation: createRevalidationInvoker({
              lambda: clients.lambda,
              functionName: revalidationFunction,
            }),
            logger,
          }),
        }
      : {}),
  });
}

/**
 * The broker of a downstream Lambda, from its environment and the module-level clients. Throws a
 * ConfigurationError at cold start when a variable is missing or invalid.
 */
export function createBrokerFromEnvironment({
  logger,
  env = process.env,
}: {
  logger: Logger;
  env?: Record<string, string | undefined>;
}): CredentialBroker {
  return createBroker({
    clients: {
      documentClient,
      sts: stsClient,
      lambda: lambdaClient,
      secretsManager: secretsManagerClient,
    },
    config: loadConfig(BROKER_VARIABLES, env),
    logger,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
  });
}
