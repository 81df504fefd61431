/** The Lambda entry of migration-reminder: its factory, built once from this environment. */
import { documentClient } from '#shared/clients/dynamodb.ts';
import { eventBridgeClient } from '#shared/clients/eventbridge.ts';
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createMigrationReminderHandler } from './factory.ts';

export const handler = createMigrationReminderHandler(
  awsPlatform({ documentClient, eventBridge: eventBridgeClient }),
  loadFunctionConfig('migration-reminder'),
);
