import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runMigrationReminders } from '#shared/reminders/migration-reminder-job.ts';
import { LEGACY_INDEX } from '#shared/store/table-definition.ts';
import { buildRoleConnection } from '../../support/builders.ts';
import { acceptAllEvents, eventBridge, reminderFixture } from './support.ts';

const NOW = new Date('2026-11-24T03:00:00Z');
const TOTAL = 10_000;
const LEGACY = 100;

let fixture: Awaited<ReturnType<typeof reminderFixture>>;

/** 9,900 role connections written directly (BatchWrite, 25 per request), 100 legacy ones through the store. */
beforeAll(async () => {
  fixture = await reminderFixture();
  const items = Array.from({ length: TOTAL - LEGACY }, (_, i) => {
    const connection = buildRoleConnection({
      customerId: `role-customer-${Math.floor(i / 3)}`,
      status: 'ACTIVE',
    });
    return {
      PK: `CUSTOMER#${connection.customerId}`,
      SK: `CONN#${connection.accountId}`,
      type: 'CONNECTION',
      ...connection,
    };
  });
  const batches = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches.slice(i, i + 8).map((batch) =>
        fixture.table.documentClient.send(
          new BatchWriteCommand({
            RequestItems: { [fixture.table.tableName]: batch.map((Item) => ({ PutRequest: { Item } })) },
          }),
        ),
      ),
    );
  }
  await fixture.legacy(LEGACY, 120, NOW);
}, 120_000);
afterAll(() => fixture.table.drop());

describe('runMigrationReminders at scale', () => {
  it('reads the 100 legacy connections of 10,000 through the sparse index, never the table', async () => {
    // Prepare
    eventBridge.reset();
    acceptAllEvents();
    const send = vi.spyOn(fixture.table.documentClient, 'send');
    // Act
    const summary = await runMigrationReminders(fixture.deps, {
      runId: 'scale',
      graceDays: 90,
      intervalDays: 7,
      remainingTimeMs: () => 600_000,
      now: NOW,
    });
    // Assess
    expect(summary).toMatchObject({ itemsRead: LEGACY, scanned: LEGACY, reminded: LEGACY, complete: true });
    const reads = send.mock.calls
      .map(([command]) => command)
      .filter((command) => /Query|Scan/.test(command.constructor.name));
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      expect(read.constructor.name).toBe('QueryCommand');
      expect(read.input).toMatchObject({ IndexName: LEGACY_INDEX.indexName });
    }
  });
});
