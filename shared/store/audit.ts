/** The audit trail: one entry per state change, written in the transaction that makes the change. */
import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditActor, AuditEntry } from '../domain/audit.ts';
import type { ConnectionStatus } from '../domain/connection.ts';
import { decodeAuditEntry } from './decoders.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import { queryAll, queryPage } from './partition.ts';
import type { StoreTable } from './table.ts';
import { itemKeys, keys, TABLE_KEYS } from './table-definition.ts';
import type { TransactItem } from './transaction.ts';

/** Why and by whom a change is made; becomes the audit entry. */
export interface AuditInput {
  actor: AuditActor;
  reason: string;
  sourceEventId?: string;
}

/** The Put of one new audit entry, for the transaction that records the change it describes. */
export function auditItem(
  tableName: string,
  customerId: string,
  accountId: string,
  from: ConnectionStatus | 'NONE',
  to: ConnectionStatus,
  version: number,
  input: AuditInput,
  now: Date,
): TransactItem {
  const entry: AuditEntry = {
    customerId,
    accountId,
    auditId: randomUUID(),
    at: now.toISOString(),
    from,
    to,
    actor: input.actor,
    reason: input.reason,
    version,
    ...(input.sourceEventId ? { sourceEventId: input.sourceEventId } : {}),
  };
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...itemKeys.audit(customerId, entry.at, entry.auditId),
        type: 'AUDIT',
        ...entry,
      },
      // Entries are appended, never replaced.
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
    },
  };
}

export function createAuditTrail(table: StoreTable) {
  return {
    async listAudit(customerId: string, { cursor, limit = 100 }: { cursor?: string; limit?: number } = {}) {
      return queryPage(table, customerId, keys.prefix.audit, decodeAuditEntry, { cursor, limit });
    },

    async listAllAudit(customerId: string): Promise<AuditEntry[]> {
      return queryAll(table, customerId, keys.prefix.audit, decodeAuditEntry);
    },
  };
}

/** What one call of queryAuditNewestFirst may read before it hands back a cursor (keeps a call short). */
const MAX_AUDIT_ITEMS_READ = 1000;

/**
 * One page of a customer's audit trail, newest first (docs/architecture.md §3.1). Entries are keyed
 * by time, not account, so `accountId` is a filter: pages are read until `limit` entries match or
 * MAX_AUDIT_ITEMS_READ were read, and the cursor always resumes after the last item read.
 */
export async function queryAuditNewestFirst(
  { client, tableName }: StoreTable,
  customerId: string,
  { accountId, cursor, limit }: { accountId?: string; cursor?: string; limit: number },
): Promise<Page<AuditEntry> & { itemsRead: number }> {
  const partition = keys.customer(customerId);
  // The same rule as the connections list: a cursor continues only inside this customer's audit trail.
  let startKey = decodeCursor(
    cursor,
    { attribute: TABLE_KEYS.partitionKey, value: partition },
    { attribute: TABLE_KEYS.sortKey, prefix: keys.prefix.audit },
  );
  const items: AuditEntry[] = [];
  let itemsRead = 0;
  do {
    const result = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ScanIndexForward: false,
        ...(accountId
          ? {
              FilterExpression: '#accountId = :accountId',
              ExpressionAttributeNames: {
                '#pk': TABLE_KEYS.partitionKey,
                '#sk': TABLE_KEYS.sortKey,
                '#accountId': 'accountId',
              },
              ExpressionAttributeValues: {
                ':pk': partition,
                ':prefix': keys.prefix.audit,
                ':accountId': accountId,
              },
            }
          : {
              ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey },
              ExpressionAttributeValues: { ':pk': partition, ':prefix': keys.prefix.audit },
            }),
        ExclusiveStartKey: startKey,
        // Never more than still fits the page, so no matching item is read and then dropped.
        Limit: Math.min(limit - items.length, MAX_AUDIT_ITEMS_READ - itemsRead),
      }),
    );
    itemsRead += result.ScannedCount ?? 0;
    for (const item of result.Items ?? []) items.push(decodeAuditEntry(item));
    startKey = result.LastEvaluatedKey;
  } while (startKey && items.length < limit && itemsRead < MAX_AUDIT_ITEMS_READ);
  const next = encodeCursor(startKey);
  return { items, itemsRead, ...(next ? { cursor: next } : {}) };
}

/** The customer's latest audit entry: one item read. */
export async function lastAuditEntry(
  { client, tableName }: StoreTable,
  customerId: string,
): Promise<AuditEntry | undefined> {
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey },
      ExpressionAttributeValues: { ':pk': keys.customer(customerId), ':prefix': keys.prefix.audit },
      ScanIndexForward: false,
      Limit: 1,
    }),
  );
  const [item] = result.Items ?? [];
  return item ? decodeAuditEntry(item) : undefined;
}

/** Whether anything at all (a setup, a connection, an audit entry) is stored for the customer: one key read. */
export async function customerIsKnown(
  { client, tableName }: StoreTable,
  customerId: string,
): Promise<boolean> {
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      ExpressionAttributeValues: { ':pk': keys.customer(customerId) },
      ProjectionExpression: '#pk',
      Limit: 1,
    }),
  );
  return (result.Count ?? 0) > 0;
}
