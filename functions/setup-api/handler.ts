/** The Lambda entry of setup-api: its factory, built once from this environment. */
import { documentClient, dynamoDbClient } from '#shared/clients/dynamodb.ts';
import { eventBridgeClient } from '#shared/clients/eventbridge.ts';
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createSetupApiHandler } from './factory.ts';

export const handler = createSetupApiHandler(
  awsPlatform({ dynamoDb: dynamoDbClient, documentClient, eventBridge: eventBridgeClient }),
  loadFunctionConfig('setup-api'),
);
