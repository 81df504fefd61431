/**
 * Reminder job scale (issue 8, §4): N connections in DynamoDB Local, 1% still on access keys,
 * created over the past year. The job's read — the sparse legacy index, key condition "created
 * before now − grace", page by page through `store.queryLegacyConnections` — against the same
 * question answered by a full-table Scan with a filter, the way it would be without the index.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createConnectionStore } from '../../shared/store/connection-store.ts';
import { keys, LEGACY_INDEX, TABLE_KEYS } from '../../shared/store/table-definition.ts';
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

/** Connection items as the store writes them (connection-store.ts toItem / createLegacyConnection). */
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

    /** The job's read: every page of the sparse index below the grace bound. */
    const job = () =>
      timed(async () => {
        let itemsRead = 0;
        let found = 0;
        let cursor: string | undefined;
        do {
          const page = await store.queryLegacyConnections({ createdBefore, ...(cursor ? { cursor } : {}) });
          itemsRead += page.itemsRead;
          found += page.items.length;
          cursor = page.cursor;
        } while (cursor);
        return { itemsRead, found };
      });

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
      jobRuns.push(await job());
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
      { name: 'reminder job (sparse legacy index)', ...result.job },
      { name: 'baseline: full-table Scan + filter', ...result.scanBaseline },
    ];
    const columns: Column<(typeof rows)[number]>[] = [
      { header: 'read path', value: (r) => r.name },
      { header: 'items read', value: (r) => r.itemsRead },
      { header: 'found', value: (r) => r.found },
      { header: 'ms (median)', value: (r) => r.ms },
    ];
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
