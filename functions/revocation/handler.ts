/** The Lambda entry of revocation: its factory, built once from this environment. */
import { documentClient } from '#shared/clients/dynamodb.ts';
import { eventBridgeClient } from '#shared/clients/eventbridge.ts';
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createRevocationHandler } from './factory.ts';

export const handler = createRevocationHandler(
  awsPlatform({ documentClient, eventBridge: eventBridgeClient }),
  loadFunctionConfig('revocation'),
);
