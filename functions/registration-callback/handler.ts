/** The Lambda entry of registration-callback: its factory, built once from this environment. */
import { documentClient } from '#shared/clients/dynamodb.ts';
import { eventBridgeClient } from '#shared/clients/eventbridge.ts';
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createRegistrationCallbackHandler } from './factory.ts';

export const handler = createRegistrationCallbackHandler(
  awsPlatform({ documentClient, eventBridge: eventBridgeClient }),
  loadFunctionConfig('registration-callback'),
);
