/**
 * Daily (RULES.migrationReminderSchedule): reminds customers still on access keys past the grace
 * period. Wiring only: shared/reminders/migration-reminder-job.ts. The scheduled event's id names
 * the run, so a retried invocation reuses its reminder ids; a run stopped before the deadline is
 * resumed by the next invocation.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod/mini';
import type { FunctionConfig } from '#shared/config.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { correlationIdFrom } from '#shared/observability.ts';
import { parseInput } from '#shared/onboarding/parse-input.ts';
import {
  type MigrationReminderSummary,
  runMigrationReminders,
} from '#shared/reminders/migration-reminder-job.ts';
import { createReminderStore } from '#shared/reminders/reminder-store.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { countLegacyConnectionsOnKeys } from '#shared/store/legacy-connections.ts';
import { createMigrationLedger } from '#shared/store/migration-ledger.ts';
import type { Platform } from '#shared/wiring/platform.ts';

/** The EventBridge scheduled event (only its id is used). */
export const scheduledEventSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.string(),
});

export function createMigrationReminderHandler(
  platform: Platform<'documentClient' | 'eventBridge'>,
  config: FunctionConfig<'migration-reminder'>,
) {
  const logger = platform.createLogger('migration-reminder');
  const metrics = platform.createMetrics('migration-reminder');
  const table = { client: platform.documentClient, tableName: config.TABLE_NAME };
  const dependencies = {
    ledger: createMigrationLedger(table),
    countOnKeys: () => countLegacyConnectionsOnKeys(table),
    legacyConnections: createConnectionStore({
      client: platform.documentClient,
      tableName: config.TABLE_NAME,
    }),
    reminders: createReminderStore({ client: platform.documentClient, tableName: config.TABLE_NAME }),
    publisher: createEventPublisher({ client: platform.eventBridge, busName: config.EVENT_BUS_NAME }),
    logger,
    metrics,
  };

  // The tracer wraps the whole chain: every middleware runs in the invocation's
  // subsegment (docs/architecture.md §11).
  return platform.tracer.traceHandler(
    middy<unknown, MigrationReminderSummary>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(correlationIdFrom(logger, ['id']))
      .use(logMetrics(metrics))
      .handler(async function migrationReminder(event, context) {
        const scheduled = parseInput(scheduledEventSchema, event);
        return runMigrationReminders(dependencies, {
          runId: scheduled.id,
          graceDays: config.LEGACY_GRACE_DAYS,
          intervalDays: config.REMINDER_INTERVAL_DAYS,
          remainingTimeMs: () => context.getRemainingTimeInMillis(),
        });
      }),
  );
}
