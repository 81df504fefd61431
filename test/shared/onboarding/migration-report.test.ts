/**
 * GET /migration through the real setup-api handler, against a table of 10,000 connections (100 of
 * them on access keys, 20 of those migrated) and their audit trail: the report's figures, and the
 * items it reads — only the sparse legacy index and the migration ledger, never the table.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSetupApiHandler } from '#functions/setup-api/factory.ts';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';
import type { LegacyConnection } from '#shared/domain/connection.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import type { ApiGatewayEvent } from '#shared/http/request.ts';
import { runMigrationReminders } from '#shared/reminders/migration-reminder-job.ts';
import { createReminderStore } from '#shared/reminders/reminder-store.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { connectionItem } from '#shared/store/connections.ts';
import { createMigrationLedger, utcDay } from '#shared/store/migration-ledger.ts';
import { itemKeys, keys, LEGACY_INDEX } from '#shared/store/table-definition.ts';
import { buildLegacyConnection, buildRoleConnection } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { createContext } from '../../support/lambda-context.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';

const eventBridge = mockClient(EventBridgeClient);
const DAY = 86_400_000;
const TOTAL = 10_000;
const LEGACY = 100;
const MIGRATED = 20;
const REMINDED = 30;
const NOW = Date.now();
const daysAgo = (days: number) => new Date(NOW - days * DAY);

let table: Awaited<ReturnType<typeof createTestTable>>;
let handler: ReturnType<typeof createSetupApiHandler>;
/** Items the handler's reads returned or evaluated (ScannedCount), and the commands it sent. */
const reads = { items: 0, commands: [] as { name: string; input: Record<string, unknown> }[] };

async function batchWrite(items: Record<string, unknown>[]) {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches.slice(i, i + 8).map((batch) =>
        table.documentClient.send(
          new BatchWriteCommand({
            RequestItems: { [table.tableName]: batch.map((Item) => ({ PutRequest: { Item } })) },
          }),
        ),
      ),
    );
  }
}

beforeAll(async () => {
  table = await createTestTable('keyless-migration-report');
  // Prepare: 9,900 role connections with an audit entry each, 100 legacy ones, all by BatchWrite.
  const roleItems = Array.from({ length: TOTAL - LEGACY }, (_, i) => {
    const connection = buildRoleConnection({ customerId: `role-${Math.floor(i / 3)}`, status: 'ACTIVE' });
    return [
      connectionItem(connection),
      {
        ...itemKeys.audit(connection.customerId, connection.createdAt, `a-${i}`),
        type: 'AUDIT',
        customerId: connection.customerId,
        accountId: connection.accountId,
        auditId: `a-${i}`,
        at: connection.createdAt,
        from: 'REGISTERED',
        to: 'ACTIVE',
        actor: 'role-validator',
        reason: 'role proven',
        version: 2,
      },
    ];
  }).flat();
  const legacy: LegacyConnection[] = Array.from({ length: LEGACY }, (_, i) =>
    buildLegacyConnection({
      customerId: `legacy-${i}`,
      createdAt: daysAgo(200 - i).toISOString(),
      updatedAt: daysAgo(200 - i).toISOString(),
    }),
  );
  const legacyItems = legacy.map((connection) => ({
    ...connectionItem(connection),
    [LEGACY_INDEX.partitionKey]: LEGACY_INDEX.partitionValue,
    [LEGACY_INDEX.sortKey]: keys.legacySort(
      connection.createdAt,
      connection.customerId,
      connection.accountId,
    ),
  }));
  await batchWrite([...roleItems, ...legacyItems]);

  // 20 of the oldest migrate, one a day from 19 days ago, through the validator's own write.
  const store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
  for (let i = 0; i < MIGRATED; i += 1) {
    const connection = legacy[i]!;
    await store.updateConnection({
      connection,
      set: {
        authMethod: 'ROLE',
        roleArn: `arn:aws:iam::${connection.accountId}:role/KeylessAccess`,
        externalId: `keyless-${connection.customerId}-0123456789abcdef0123456789abcdef`,
      },
      remove: ['secretRef'],
      leaveLegacyIndex: true,
      audit: { actor: 'role-validator', reason: 'migrated from access keys to a proven role' },
      now: daysAgo(19 - i),
    });
  }
  // 30 reminders: 3 a day over the last 10 days, as the reminder job records them.
  const ledger = createMigrationLedger({ client: table.documentClient, tableName: table.tableName });
  for (let day = 0; day < 10; day += 1) {
    const remindedThatDay = legacy.slice(MIGRATED + day * 3, MIGRATED + day * 3 + 3);
    await ledger.recordReminders(
      remindedThatDay.map((c) => ({ ...c, reminderId: `r-${day}-${c.customerId}` })),
      daysAgo(day),
    );
  }

  const handlerClient = createDocumentClient(table.client);
  handlerClient.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as { ScannedCount?: number; Item?: unknown };
      reads.items += output.ScannedCount ?? (output.Item ? 1 : 0);
      reads.commands.push({ name: context.commandName ?? '', input: args.input as Record<string, unknown> });
      return result;
    },
    { step: 'initialize', name: 'migrationReportReadCounter' },
  );
  handler = createSetupApiHandler(
    { ...testPlatform({ table }), documentClient: handlerClient },
    testConfig('setup-api', table.tableName),
  );
}, 180_000);
afterAll(() => table.drop());

function migrationRequest(query?: Record<string, string>): ApiGatewayEvent {
  return {
    rawPath: '/migration',
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: { requestId: 'migration', stage: '$default', http: { method: 'GET' } },
  };
}

/** The fields of the report these tests read. */
interface ReportBody {
  [field: string]: unknown;
  to: string;
  totals: unknown;
  days: Record<string, unknown>[];
  oldest: { customerId: string; daysOnAccessKeys: number }[];
  issues?: unknown[];
}

async function report(query?: Record<string, string>) {
  const response = await handler(migrationRequest(query), createContext());
  return { statusCode: response.statusCode, body: JSON.parse(response.body) as ReportBody };
}

describe('GET /migration', () => {
  it('reports 10,000 connections reading only the legacy index and the ledger lines of its days', async () => {
    // Prepare
    reads.items = 0;
    reads.commands.length = 0;
    // Act
    const { statusCode, body } = await report({
      from: utcDay(daysAgo(29)),
      to: utcDay(daysAgo(0)),
      oldest: '3',
    });
    // Assess
    expect(statusCode).toBe(200);
    expect(body).toMatchObject({
      remaining: LEGACY - MIGRATED,
      totals: { reminded: REMINDED, migrated: MIGRATED },
      source: 'legacy-by-created index + migration ledger',
    });
    expect(body.days).toHaveLength(30);
    // Before the first migration all 100 were on keys; one fewer each day after.
    expect(body.days[0]).toMatchObject({ day: utcDay(daysAgo(29)), migrated: 0, remaining: LEGACY });
    expect(body.days[10]).toMatchObject({ day: utcDay(daysAgo(19)), migrated: 1, remaining: LEGACY - 1 });
    expect(body.days.at(-1)).toMatchObject({ reminded: 3, migrated: 1, remaining: LEGACY - MIGRATED });
    expect(body.oldest.map((o) => o.customerId)).toEqual([
      `legacy-${MIGRATED}`,
      `legacy-${MIGRATED + 1}`,
      `legacy-${MIGRATED + 2}`,
    ]);
    expect(body.oldest[0]?.daysOnAccessKeys).toBe(200 - MIGRATED);
    // 80 index entries and 50 ledger lines, of 20,000 items: never a Scan, never the audit trail.
    expect(reads.items).toBe(LEGACY - MIGRATED + MIGRATED + REMINDED);
    expect(reads.commands.map((c) => c.name).filter((name) => name !== 'QueryCommand')).toEqual([]);
    for (const { input } of reads.commands) {
      const values = JSON.stringify(input.ExpressionAttributeValues);
      expect(input.IndexName === LEGACY_INDEX.indexName || values.includes('MIGRATION#')).toBe(true);
    }
  });

  it('covers the last 30 days by default and counts only the days asked for', async () => {
    const whole = await report();
    expect(whole.body.days).toHaveLength(30);
    expect(whole.body.to).toBe(utcDay(new Date()));
    const lastThree = await report({ from: utcDay(daysAgo(2)), to: utcDay(daysAgo(0)) });
    expect(lastThree.body.totals).toEqual({ reminded: 9, migrated: 3 });
    const beforeAnything = await report({ from: '2020-01-01', to: '2020-01-31' });
    expect(beforeAnything.body.totals).toEqual({ reminded: 0, migrated: 0 });
    expect(beforeAnything.body.days[0]?.remaining).toBe(0);
  });

  it('counts the reminders the reminder job publishes', async () => {
    // Prepare: one more legacy connection, past the grace period.
    const reminderTable = await createTestTable('keyless-migration-reminded');
    try {
      const store = createConnectionStore({
        client: reminderTable.documentClient,
        tableName: reminderTable.tableName,
      });
      await store.createLegacyConnection(
        buildLegacyConnection({ customerId: 'reminded-corp', createdAt: daysAgo(120).toISOString() }),
        { actor: 'test', reason: 'legacy' },
      );
      eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
      const tableRef = { client: reminderTable.documentClient, tableName: reminderTable.tableName };
      // Act
      await runMigrationReminders(
        {
          legacyConnections: store,
          reminders: createReminderStore(tableRef),
          publisher: createEventPublisher({ client: new EventBridgeClient({}), busName: 'keyless' }),
          logger: testPlatform({ table: reminderTable }).createLogger('migration-reminder'),
          ledger: createMigrationLedger(tableRef),
        },
        { runId: 'run-1', graceDays: 90, intervalDays: 7, remainingTimeMs: () => 60_000 },
      );
      const reminded = createSetupApiHandler(
        testPlatform({ table: reminderTable }),
        testConfig('setup-api', reminderTable.tableName),
      );
      const response = await reminded(migrationRequest(), createContext());
      // Assess
      expect(JSON.parse(response.body)).toMatchObject({ remaining: 1, totals: { reminded: 1, migrated: 0 } });
    } finally {
      await reminderTable.drop();
    }
  });

  it.each([
    [{ from: '2026-13-01' }, 'query.from'],
    [{ from: '2026-02-30' }, 'query.from'],
    [{ to: '3000-01-01' }, 'query.to'],
    [{ from: '2026-03-02', to: '2026-03-01' }, 'query.from'],
    [{ from: '2020-01-01', to: '2022-01-01' }, 'query.from'],
    [{ oldest: 'many' }, 'query.oldest'],
    [{ oldest: '1000' }, 'query.oldest'],
    [{ since: '2026-01-01' }, 'query.since'],
  ])('answers %o with a 400 naming %s', async (query, field) => {
    const { statusCode, body } = await report(query);
    expect(statusCode).toBe(400);
    expect(body.issues).toEqual([expect.objectContaining({ path: field })]);
  });
});
