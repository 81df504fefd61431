/**
 * The broker a downstream Lambda uses, wired from its environment. Call it once at module load,
 * so the session cache survives across invocations of the execution environment.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { documentClient } from '../clients/dynamodb.ts';
import { lambdaClient } from '../clients/lambda.ts';
import { secretsManagerClient } from '../clients/secrets-manager.ts';
import { stsClient } from '../clients/sts.ts';
import { loadConfig } from '../config.ts';
import { createLegacyKeyReader } from '../legacy/legacy-keys.ts';
import { createConnectionStore } from '../store/connection-store.ts';
import { type CredentialBroker, createCredentialBroker } from './credential-broker.ts';
import { createRepeatedDenialWatch } from './repeated-denials.ts';
import { createRevalidationInvoker } from './revalidation-request.ts';

/**
 * Reads TABLE_NAME, CREDENTIAL_REFRESH_BUFFER_SECONDS, REVOCATION_STALENESS_SECONDS and
 * POWERTOOLS_SERVICE_NAME (the `<service>` of session names); the SourceIdentity is the
 * function's own name (AWS_LAMBDA_FUNCTION_NAME). With REVALIDATION_FUNCTION_NAME (the role
 * validator), a role that denies AssumeRole repeatedly is sent for re-validation. Throws a ConfigurationError at cold start
 * when one is missing or invalid.
 */
export function createBrokerFromEnvironment({
  logger,
  env = process.env,
}: {
  logger: Logger;
  env?: Record<string, string | undefined>;
}): CredentialBroker {
  const config = loadConfig(
    [
      'TABLE_NAME',
      'POWERTOOLS_SERVICE_NAME',
      'CREDENTIAL_REFRESH_BUFFER_SECONDS',
      'REVOCATION_STALENESS_SECONDS',
      'REVALIDATION_FUNCTION_NAME',
    ],
    env,
  );
  const revalidationFunction = config.REVALIDATION_FUNCTION_NAME;
  return createCredentialBroker({
    store: createConnectionStore({ client: documentClient, tableName: config.TABLE_NAME }),
    sts: stsClient,
    legacyKeys: createLegacyKeyReader({
      provider: new SecretsProvider({ awsSdkV3Client: secretsManagerClient }),
    }),
    serviceName: config.POWERTOOLS_SERVICE_NAME,
    sourceIdentity: env.AWS_LAMBDA_FUNCTION_NAME ?? config.POWERTOOLS_SERVICE_NAME,
    logger,
    refreshBufferSeconds: config.CREDENTIAL_REFRESH_BUFFER_SECONDS,
    revocationStalenessSeconds: config.REVOCATION_STALENESS_SECONDS,
    ...(revalidationFunction
      ? {
          repeatedDenials: createRepeatedDenialWatch({
            requestRevalidation: createRevalidationInvoker({
              lambda: lambdaClient,
              functionName: revalidationFunction,
            }),
            logger,
          }),
        }
      : {}),
  });
}
