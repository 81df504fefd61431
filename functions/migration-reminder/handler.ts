/** The Lambda entry of migration-reminder: its factory, built once from this environment. */
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createMigrationReminderHandler } from './factory.ts';

export const handler = createMigrationReminderHandler(
  awsPlatform(),
  loadFunctionConfig('migration-reminder'),
);
