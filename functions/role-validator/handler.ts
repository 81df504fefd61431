/** The Lambda entry of role-validator: its factory, built once from this environment. */
import { documentClient } from '#shared/clients/dynamodb.ts';
import { eventBridgeClient } from '#shared/clients/eventbridge.ts';
import { stsClient } from '#shared/clients/sts.ts';
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createRoleValidatorHandler } from './factory.ts';

export const handler = createRoleValidatorHandler(
  awsPlatform({ documentClient, eventBridge: eventBridgeClient, sts: stsClient }),
  loadFunctionConfig('role-validator'),
);
