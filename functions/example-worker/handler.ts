/** The Lambda entry of example-worker: its factory, built once from this environment. */
import { dynamoDbClient } from '#shared/clients/dynamodb.ts';
import { lambdaClient } from '#shared/clients/lambda.ts';
import { secretsManagerClient } from '#shared/clients/secrets-manager.ts';
import { stsClient } from '#shared/clients/sts.ts';
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createExampleWorkerHandler } from './factory.ts';

export const handler = createExampleWorkerHandler(
  awsPlatform({
    dynamoDb: dynamoDbClient,
    sts: stsClient,
    lambda: lambdaClient,
    secretsManager: secretsManagerClient,
  }),
  loadFunctionConfig('example-worker'),
);
