/**
 * The migration ledger: one small item per reminder sent and per connection migrated off access
 * keys, in one partition per UTC month, so the migration report reads the days it reports and
 * nothing else, never a table scan (docs/architecture.md §3, §10). A migration's line is written in
 * the very transaction that migrates the connection (connections.ts); a reminder's once its event
 * is published (migration-reminder-job.ts), keyed by the reminder id, so a retried run writes it once.
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredItem } from './decoders.ts';
import type { StoreTable } from './table.ts';
import { itemKeys, keys, TABLE_KEYS, TTL_ATTRIBUTE } from './table-definition.ts';
import type { TransactItem } from './transaction.ts';

export const MIGRATION_LEDGER_TYPE = 'MIGRATION_LEDGER';
/** Long enough for a year-on-year report; the ledger is not the audit trail, which never expires. */
const RETENTION_DAYS = 400;
const DAY_MS = 86_400_000;
const PUT_CONCURRENCY = 10;

export type LedgerKind = 'REMINDED' | 'MIGRATED';

export interface LedgerEntry {
  kind: LedgerKind;
  /** UTC day, `yyyy-mm-dd`. */
  day: string;
  at: string;
  customerId: string;
  accountId: string;
  /** When the connection went on access keys: a migrated one counts as remaining until it migrated. */
  legacyCreatedAt: string;
}

export interface LedgerSubject {
  customerId: string;
  accountId: string;
  /** The legacy connection's `createdAt`. */
  createdAt: string;
}

export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

function ledgerItem(kind: LedgerKind, subject: LedgerSubject, entryId: string, now: Date): StoredItem {
  const day = utcDay(now);
  return {
    ...itemKeys.migrationLedger(day, `${kind}#${entryId}`),
    // No `status` and no legacy index keys: the ledger stays out of both indexes.
    type: MIGRATION_LEDGER_TYPE,
    kind,
    day,
    at: now.toISOString(),
    customerId: subject.customerId,
    accountId: subject.accountId,
    legacyCreatedAt: subject.createdAt,
    [TTL_ATTRIBUTE]: Math.floor((now.getTime() + RETENTION_DAYS * DAY_MS) / 1000),
  };
}

/** The Put of a migration's ledger line, for the transaction that migrates the connection. */
export function migrationLedgerPut(tableName: string, subject: LedgerSubject, now: Date): TransactItem {
  return {
    Put: {
      TableName: tableName,
      // One connection migrates once (it never returns to access keys): its ids name the line.
      Item: ledgerItem('MIGRATED', subject, `${subject.customerId}#${subject.accountId}`, now),
    },
  };
}

function decodeLedgerEntry(item: StoredItem): LedgerEntry | undefined {
  const { kind, day, at, customerId, accountId, legacyCreatedAt } = item;
  if (
    (kind !== 'REMINDED' && kind !== 'MIGRATED') ||
    typeof day !== 'string' ||
    typeof at !== 'string' ||
    typeof customerId !== 'string' ||
    typeof accountId !== 'string' ||
    typeof legacyCreatedAt !== 'string'
  ) {
    // A damaged line is left out of a report rather than failing it.
    return undefined;
  }
  return { kind, day, at, customerId, accountId, legacyCreatedAt };
}

/** The UTC months `yyyy-mm` from the month of `fromDay` to the month of `toDay`. */
function monthsBetween(fromDay: string, toDay: string): string[] {
  const months: string[] = [];
  let [year, month] = fromDay.split('-').map(Number) as [number, number];
  const last = toDay.slice(0, 7);
  for (;;) {
    const current = `${year}-${String(month).padStart(2, '0')}`;
    months.push(current);
    if (current >= last) return months;
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
}

export type MigrationLedger = ReturnType<typeof createMigrationLedger>;

export function createMigrationLedger(table: StoreTable) {
  const { client, tableName } = table;
  return {
    /**
     * Records reminders that were published, one line each (idempotent per reminder id). Plain
     * Puts, a few at a time: the writers' grants hold PutItem, not BatchWriteItem.
     */
    async recordReminders(
      reminders: readonly (LedgerSubject & { reminderId: string })[],
      now: Date,
    ): Promise<void> {
      const items = reminders.map((r) => ledgerItem('REMINDED', r, r.reminderId, now));
      for (let i = 0; i < items.length; i += PUT_CONCURRENCY) {
        await Promise.all(
          items
            .slice(i, i + PUT_CONCURRENCY)
            .map((Item) => client.send(new PutCommand({ TableName: tableName, Item }))),
        );
      }
    },

    /** Every ledger line from `fromDay` to `toDay` (UTC days, inclusive): one Query per month. */
    async readDays(fromDay: string, toDay: string): Promise<{ entries: LedgerEntry[]; itemsRead: number }> {
      const entries: LedgerEntry[] = [];
      let itemsRead = 0;
      for (const month of monthsBetween(fromDay, toDay)) {
        let startKey: Record<string, unknown> | undefined;
        do {
          const result = await client.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
              ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey },
              // '$' sorts after '#': every line of the last day is included.
              ExpressionAttributeValues: {
                ':pk': keys.migrationMonth(month),
                ':from': `${fromDay}#`,
                ':to': `${toDay}$`,
              },
              ExclusiveStartKey: startKey,
            }),
          );
          itemsRead += result.ScannedCount ?? 0;
          for (const item of result.Items ?? []) {
            const entry = decodeLedgerEntry(item);
            if (entry) entries.push(entry);
          }
          startKey = result.LastEvaluatedKey;
        } while (startKey);
      }
      return { entries, itemsRead };
    },
  };
}
