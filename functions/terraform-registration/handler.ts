/** The Lambda entry of terraform-registration: its factory, built once from this environment. */
import { documentClient } from '#shared/clients/dynamodb.ts';
import { eventBridgeClient } from '#shared/clients/eventbridge.ts';
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createTerraformRegistrationHandler } from './factory.ts';

export const handler = createTerraformRegistrationHandler(
  awsPlatform({ documentClient, eventBridge: eventBridgeClient }),
  loadFunctionConfig('terraform-registration'),
);
