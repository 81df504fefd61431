/**
 * Reminder job scale (issue 8, §4): N connections in DynamoDB Local, 1% still on access keys,
 * created over the past year. The real job (`runMigrationReminders`: the sparse legacy index
 * page by page, a conditional claim per due connection, events handed to a publisher that
 * accepts them without a network hop) against a full-table Scan with a filter answering the same
 * question, the way it would be without the index — reads only, so the baseline does less work.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { EventPublisher } from '#shared/events/publisher.ts';
import { runMigrationReminders } from '#shared/reminders/migration-reminder-job.ts';
import { createReminderStore } from '#shared/reminders/reminder-store.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { keys, LEGACY_INDEX, TABLE_KEYS } from '#shared/store/table-definition.ts';
import { startBenchTable } from '../harness/dynamodb.ts';
import type { BenchOptions } from '../harness/options.ts';
import { seededRandom } from '../harness/random.ts';
import type { ReminderResult } from '../harness/results.ts';
import { median, ratio, round } from '../harness/stats.ts';
import { type Column, formatTable } from '../harness/table.ts';

const DAY_MS = 86_400_000;
const GRACE_DAYS = 90;
const LEGACY_SHARE = 0.01;
const WRITERS = 8;

/** Connection items as the store writes them (connectionItem in shared/store/connections.ts, createLegacyConnection). */
function connectionItems(count: number, now: number) {
  const random = seededRandom(4);
  const items: Record<string, unknown>[] = [];
  const legacyEvery = Math.round(1 / LEGACY_SHARE);
  for (let i = 0; i < count; i++) {
    const customerId = `customer-${String(Math.floor(i / 2)).padStart(6, '0')}`;
    const accountId = String(300_000_000_000 + i);
    const createdAt = new Date(now - Math.floor(random() * 365 * DAY_MS)).toISOString();
    const base = {
      [TABLE_KEYS.partitionKey]: keys.customer(customerId),
      [TABLE_KEYS.sortKey]: keys.connection(accountId),
      type: 'CONNECTION',
      customerId,
      accountId,
      status: 'ACTIVE',
      createdAt,
      updatedAt: createdAt,
    };
    items.push(
      i % legacyEvery === legacyEvery - 1
        ? {
            ...base,
            authMethod: 'ACCESS_KEYS',
            version: 1,
            secretRef: `keyless/legacy/${customerId}/${accountId}`,
            [LEGACY_INDEX.partitionKey]: LEGACY_INDEX.partitionValue,
            [LEGACY_INDEX.sortKey]: keys.legacySort(createdAt, customerId, accountId),
          }
        : {
            ...base,
            authMethod: 'ROLE',
            version: 2,
            roleArn: `arn:aws:iam::${accountId}:role/KeylessAccess`,
            externalId: `keyless-${customerId}-${accountId}-5f0c2a8e9d4b4c1f`,
            stackId: `arn:aws:cloudformation:us-east-1:${accountId}:stack/keyless/5f0c2a8e-9d4b-4c1f-8a7e-6d5c4b3a2918`,
            setupId: `setup-${accountId}`,
            validatedAt: createdAt,
          },
    );
  }
  return items;
}

/** BatchWriteItem, 25 items a request, several requests in flight, unprocessed items retried. */
async function load(client: DynamoDBDocumentClient, tableName: string, items: Record<string, unknown>[]) {
  let next = 0;
  async function writer() {
    while (next < items.length) {
      let batch = items.slice(next, next + 25).map((Item) => ({ PutRequest: { Item } }));
      next += 25;
      for (let attempt = 0; batch.length; attempt++) {
        const { UnprocessedItems } = await client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: batch } }),
        );
        batch = (UnprocessedItems?.[tableName] ?? []) as typeof batch;
        if (batch.length) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
      }
    }
  }
  await Promise.all(Array.from({ length: WRITERS }, writer));
}

async function timed<T>(fn: () => Promise<T>): Promise<T & { ms: number }> {
  const started = performance.now();
  const result = await fn();
  return { ...result, ms: performance.now() - started };
}

export async function runReminder({
  quick,
}: BenchOptions): Promise<{ result: ReminderResult; report: string }> {
  const connections = quick ? 10_000 : 100_000;
  const runs = 3;
  const table = await startBenchTable('keyless-bench-reminder');
  try {
    const now = Date.now();
    const items = connectionItems(connections, now);
    const loadStarted = performance.now();
    await load(table.documentClient, table.tableName, items);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const createdBefore = new Date(now - GRACE_DAYS * DAY_MS).toISOString();
    const legacy = items.filter((item) => item.authMethod === 'ACCESS_KEYS');
    const due = legacy.filter((item) => (item.createdAt as string) <= createdBefore).length;
    const store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });

    const reminders = createReminderStore({ client: table.documentClient, tableName: table.tableName });
    // The job's one summary line per run would interleave with the tables.
    const logger = new Logger({ serviceName: 'bench-migration-reminder', logLevel: 'WARN' });
    const publisher: EventPublisher = {
      publish: async (events) => ({ published: events.length, failed: [] }),
    };

    /** The job, then its claims undone (outside the timing) so the next run finds the same work. */
    const job = async (run: number) => {
      const result = await timed(async () => {
        const summary = await runMigrationReminders(
          { legacyConnections: store, reminders, publisher, logger },
          {
            runId: `bench-${run}`,
            graceDays: GRACE_DAYS,
            intervalDays: 7,
            remainingTimeMs: () => Number.POSITIVE_INFINITY,
            now: new Date(now),
          },
        );
        if (!summary.complete) throw new Error('The reminder job stopped before reading every page.');
        return { itemsRead: summary.itemsRead, found: summary.flagged, reminded: summary.reminded };
      });
      await load(table.documentClient, table.tableName, legacy);
      return result;
    };

    /** The baseline: the whole table, filtered on the server, every item read and paid for. */
    const scan = () =>
      timed(async () => {
        let itemsRead = 0;
        let found = 0;
        let ExclusiveStartKey: Record<string, unknown> | undefined;
        do {
          const page = await table.documentClient.send(
            new ScanCommand({
              TableName: table.tableName,
              FilterExpression: 'authMethod = :keys AND createdAt <= :before',
              ExpressionAttributeValues: { ':keys': 'ACCESS_KEYS', ':before': createdBefore },
              ExclusiveStartKey,
            }),
          );
          itemsRead += page.ScannedCount ?? 0;
          found += page.Count ?? 0;
          ExclusiveStartKey = page.LastEvaluatedKey;
        } while (ExclusiveStartKey);
        return { itemsRead, found };
      });

    const jobRuns = [];
    const scanRuns = [];
    for (let i = 0; i < runs; i++) {
      jobRuns.push(await job(i));
      scanRuns.push(await scan());
    }
    const pick = (all: { itemsRead: number; found: number; ms: number }[]) => ({
      itemsRead: all[0]?.itemsRead ?? 0,
      found: all[0]?.found ?? 0,
      ms: round(median(all.map((r) => r.ms))),
    });
    const result: ReminderResult = {
      connections,
      legacyConnections: legacy.length,
      dueConnections: due,
      job: pick(jobRuns),
      scanBaseline: pick(scanRuns),
    };
    const rows = [
      { name: 'reminder job (sparse index + claims)', ...result.job },
      { name: 'baseline: full-table Scan + filter', ...result.scanBaseline },
    ];
    const columns: Column<(typeof rows)[number]>[] = [
      { header: 'read path', value: (r) => r.name },
      { header: 'items read', value: (r) => r.itemsRead },
      { header: 'found', value: (r) => r.found },
      { header: 'ms (median)', value: (r) => r.ms },
    ];
    if (jobRuns.some((r) => r.reminded !== due))
      throw new Error(
        `The job reminded ${jobRuns.map((r) => r.reminded).join('/')} connections, expected ${due}.`,
      );
    const report = [
      formatTable(
        `Reminder job: ${connections.toLocaleString('en-US')} connections${quick ? ' (--quick; the full run uses 100,000)' : ''}, ` +
          `${legacy.length.toLocaleString('en-US')} legacy, ${due} past the ${GRACE_DAYS}-day grace ` +
          `(loaded in ${loadSeconds.toFixed(1)} s; median of ${runs})`,
        columns,
        rows,
      ),
      `  Headline: the job reads ${ratio(result.job.itemsRead, result.scanBaseline.itemsRead)} the items of a full scan ` +
        `and takes ${ratio(result.job.ms, result.scanBaseline.ms)} its time; both found ${result.job.found === result.scanBaseline.found ? 'the same' : 'DIFFERENT'} ${result.job.found} connections.`,
    ].join('\n');
    return { result, report };
  } finally {
    await table.stop();
  }
}
