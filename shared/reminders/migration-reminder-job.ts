/**
 * The daily migration-reminder job: finds connections still on access keys past the grace period
 * and emits `Migration Reminder Due` for each, at most once per reminder interval.
 *
 * - Reads only the sparse legacy index (`queryLegacyConnections`), whose sort key starts with the
 *   creation time: "older than the grace period" is a key condition, and the cost grows with
 *   legacy customers, not with all customers.
 * - Each due connection is claimed with a conditional write on `lastRemindedAt` before its event
 *   is published, so overlapping runs and retries never remind twice; an event that still fails
 *   after the publisher's retries hands its claim back, so the next run tries again.
 * - Works page by page and saves a cursor after each, stopping before the Lambda deadline; the
 *   next invocation resumes the same run (same runId, same reminder ids).
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DETAIL_TYPES, type KeylessEvent } from '../events/catalog.ts';
import type { EventPublisher } from '../events/publisher.ts';
import { METRIC_NAMES } from '../metrics.ts';
import type { ConnectionStore } from '../store/connection-store.ts';
import type { MigrationLedger } from '../store/migration-ledger.ts';
import type { ReminderRun, ReminderStore, ReminderTotals } from './reminder-store.ts';

const DAY_MS = 86_400_000;
/** Claims run this many at a time: quick, without a burst of writes on one partition range. */
const CLAIM_CONCURRENCY = 10;

export interface MigrationReminderDependencies {
  legacyConnections: Pick<ConnectionStore, 'queryLegacyConnections'>;
  reminders: ReminderStore;
  publisher: EventPublisher;
  logger: Logger;
  metrics?: Metrics;
  /** Where published reminders are counted by day, for GET /migration (docs/architecture.md §10). */
  ledger?: Pick<MigrationLedger, 'recordReminders'>;
  /** Counts the connections still on keys once a run completes: the dashboard's gauge. */
  countOnKeys?: () => Promise<number>;
}

export interface MigrationReminderOptions {
  /** Identifies a new run (the scheduled event id, stable across retries of one invocation). */
  runId: string;
  graceDays: number;
  intervalDays: number;
  /** Milliseconds left before the Lambda deadline (`context.getRemainingTimeInMillis`). */
  remainingTimeMs: () => number;
  /** Stop starting new pages once less than this is left. Default 20 s. */
  stopWhenRemainingMs?: number;
  /** Legacy connections read per page. Default 100. */
  pageSize?: number;
  now?: Date;
}

export interface MigrationReminderSummary extends ReminderTotals {
  runId: string;
  /** True when every page was read; false when the job stopped for the deadline (cursor saved). */
  complete: boolean;
  /** True when this invocation continued a run an earlier one left unfinished. */
  resumed: boolean;
  /** This invocation's share of the totals (the totals cover the whole run). */
  thisInvocation: ReminderTotals;
}

type LegacyItem = Awaited<ReturnType<ConnectionStore['queryLegacyConnections']>>['items'][number];

const emptyTotals = (): ReminderTotals => ({
  scanned: 0,
  flagged: 0,
  reminded: 0,
  failed: 0,
  skipped: 0,
  itemsRead: 0,
});

/** Deterministic per run and connection, so a consumer can drop a duplicate delivery. */
export function reminderIdFor(runId: string, customerId: string, accountId: string): string {
  return createHash('sha256')
    .update(`${runId}\u0000${customerId}\u0000${accountId}`)
    .digest('hex')
    .slice(0, 32);
}

export async function runMigrationReminders(
  {
    legacyConnections,
    reminders,
    publisher,
    logger,
    metrics,
    ledger,
    countOnKeys,
  }: MigrationReminderDependencies,
  {
    runId,
    graceDays,
    intervalDays,
    remainingTimeMs,
    stopWhenRemainingMs = 20_000,
    pageSize = 100,
    now = new Date(),
  }: MigrationReminderOptions,
): Promise<MigrationReminderSummary> {
  const saved = await reminders.getRun();
  const run: ReminderRun = saved ?? {
    runId,
    createdBefore: new Date(now.getTime() - graceDays * DAY_MS).toISOString(),
    startedAt: now.toISOString(),
    totals: emptyTotals(),
  };
  if (saved)
    logger.info('Resuming an unfinished reminder run', { runId: saved.runId, startedAt: saved.startedAt });
  const remindedAtOrBefore = new Date(now.getTime() - intervalDays * DAY_MS).toISOString();
  const mine = emptyTotals();
  let complete = false;

  while (remainingTimeMs() >= stopWhenRemainingMs) {
    const page = await legacyConnections.queryLegacyConnections({
      createdBefore: run.createdBefore,
      limit: pageSize,
      ...(run.cursor ? { cursor: run.cursor } : {}),
    });
    mine.itemsRead += page.itemsRead;
    mine.scanned += page.items.length;

    const due = page.items.filter(
      (item) =>
        item.status === 'ACTIVE' && (!item.lastRemindedAt || item.lastRemindedAt <= remindedAtOrBefore),
    );
    mine.flagged += due.length;

    const claimed: { item: LegacyItem; reminderId: string; previous?: string }[] = [];
    for (let i = 0; i < due.length; i += CLAIM_CONCURRENCY) {
      const results = await Promise.all(
        due.slice(i, i + CLAIM_CONCURRENCY).map(async (item) => {
          const reminderId = reminderIdFor(run.runId, item.customerId, item.accountId);
          const claim = await reminders.claim({
            customerId: item.customerId,
            accountId: item.accountId,
            reminderId,
            now,
            remindedAtOrBefore,
          });
          return claim.claimed
            ? { item, reminderId, ...(claim.previous ? { previous: claim.previous } : {}) }
            : null;
        }),
      );
      for (const result of results) if (result) claimed.push(result);
    }
    mine.skipped += due.length - claimed.length;

    const events: KeylessEvent[] = claimed.map(({ item, reminderId }) => ({
      detailType: DETAIL_TYPES.migrationReminderDue,
      detail: {
        customerId: item.customerId,
        accountId: item.accountId,
        version: item.version,
        correlationId: run.runId,
        createdAt: item.createdAt,
        daysOnAccessKeys: Math.max(0, Math.floor((now.getTime() - Date.parse(item.createdAt)) / DAY_MS)),
        reminderId,
      },
    }));
    const { published, failed } = await publisher.publish(events);
    mine.reminded += published;
    mine.failed += failed.length;
    const failedCodes = new Map(
      failed.map((f) => [
        f.event.detailType === DETAIL_TYPES.migrationReminderDue ? f.event.detail.reminderId : '',
        f.errorCode,
      ]),
    );
    await recordInLedger(
      ledger,
      logger,
      claimed.filter(({ reminderId }) => !failedCodes.has(reminderId)),
      now,
    );
    for (const { item, reminderId, previous } of claimed) {
      const errorCode = failedCodes.get(reminderId);
      if (errorCode === undefined) continue;
      logger.warn('Reminder not published; the connection stays due', {
        customerId: item.customerId,
        accountId: item.accountId,
        reminderId,
        errorCode,
      });
      await reminders.release({
        customerId: item.customerId,
        accountId: item.accountId,
        reminderId,
        ...(previous ? { previous } : {}),
      });
    }

    if (page.cursor) {
      run.cursor = page.cursor;
      run.totals = addTotals(saved?.totals ?? emptyTotals(), mine);
      await reminders.saveRun(run, now);
    } else {
      complete = true;
      await reminders.clearRun();
      break;
    }
  }

  const totals = addTotals(saved?.totals ?? emptyTotals(), mine);
  const summary: MigrationReminderSummary = {
    runId: run.runId,
    ...totals,
    complete,
    resumed: Boolean(saved),
    thisInvocation: mine,
  };
  logger.info(
    complete ? 'Migration reminder run complete' : 'Migration reminder run paused before the deadline',
    {
      summary,
    },
  );
  if (metrics) {
    metrics.addMetric('LegacyConnectionsScanned', MetricUnit.Count, mine.scanned);
    metrics.addMetric('MigrationRemindersFlagged', MetricUnit.Count, mine.flagged);
    metrics.addMetric('MigrationRemindersSent', MetricUnit.Count, mine.reminded);
    metrics.addMetric('MigrationRemindersFailed', MetricUnit.Count, mine.failed);
    metrics.addMetric('MigrationReminderRunPaused', MetricUnit.Count, complete ? 0 : 1);
    if (complete && countOnKeys) {
      metrics.addMetric(METRIC_NAMES.legacyConnectionsRemaining, MetricUnit.Count, await countOnKeys());
    }
  }
  return summary;
}

/**
 * The ledger line of each published reminder. Best effort: the reminder is already out, so a
 * failed line is logged (the report then undercounts that day) and the run goes on.
 */
async function recordInLedger(
  ledger: MigrationReminderDependencies['ledger'],
  logger: Logger,
  published: readonly { item: LegacyItem; reminderId: string }[],
  now: Date,
): Promise<void> {
  if (!ledger || published.length === 0) return;
  try {
    await ledger.recordReminders(
      published.map(({ item, reminderId }) => ({
        customerId: item.customerId,
        accountId: item.accountId,
        createdAt: item.createdAt,
        reminderId,
      })),
      now,
    );
  } catch (error) {
    logger.warn('Reminders not recorded in the migration ledger', { count: published.length, error });
  }
}

function addTotals(a: ReminderTotals, b: ReminderTotals): ReminderTotals {
  return {
    scanned: a.scanned + b.scanned,
    flagged: a.flagged + b.flagged,
    reminded: a.reminded + b.reminded,
    failed: a.failed + b.failed,
    skipped: a.skipped + b.skipped,
    itemsRead: a.itemsRead + b.itemsRead,
  };
}
