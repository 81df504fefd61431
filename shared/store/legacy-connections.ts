/**
 * Legacy access-key connections: created ACTIVE and indexed in the sparse legacy GSI, which the
 * reminder job reads instead of the table (the index keys are dropped once a connection migrates).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LegacyConnection } from '../domain/connection.ts';
import { type AuditInput, auditItem } from './audit.ts';
import { alreadyExists, connectionItem } from './connections.ts';
import { decodeLegacyConnection, decodeLegacyListing, type LegacyListing } from './decoders.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import type { StoreTable } from './table.ts';
import { keys, LEGACY_INDEX, TABLE_KEYS } from './table-definition.ts';
import { transactWrite } from './transaction.ts';

export function createLegacyConnections(table: StoreTable) {
  const { client, tableName } = table;
  return {
    async createLegacyConnection(connection: LegacyConnection, audit: AuditInput, now = new Date()) {
      const item = {
        ...connectionItem({ ...connection, status: 'ACTIVE', version: 1 }),
        [LEGACY_INDEX.partitionKey]: LEGACY_INDEX.partitionValue,
        [LEGACY_INDEX.sortKey]: keys.legacySort(
          connection.createdAt,
          connection.customerId,
          connection.accountId,
        ),
      };
      const exists = alreadyExists(connection.accountId);
      await transactWrite(table, [
        {
          item: {
            Put: {
              TableName: tableName,
              Item: item,
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          onConditionFailed: exists,
        },
        {
          item: auditItem(
            tableName,
            connection.customerId,
            connection.accountId,
            'NONE',
            'ACTIVE',
            1,
            audit,
            now,
          ),
          onConditionFailed: exists,
        },
      ]);
      return decodeLegacyConnection(item);
    },

    async queryLegacyConnections({
      createdBefore,
      cursor,
      limit = 100,
    }: {
      createdBefore: string;
      cursor?: string;
      limit?: number;
    }): Promise<Page<LegacyListing> & { itemsRead: number }> {
      const result = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: LEGACY_INDEX.indexName,
          KeyConditionExpression: '#pk = :pk AND #sk < :before',
          ExpressionAttributeNames: { '#pk': LEGACY_INDEX.partitionKey, '#sk': LEGACY_INDEX.sortKey },
          // '$' sorts after '#', so every key whose createdAt equals the bound is included.
          ExpressionAttributeValues: { ':pk': LEGACY_INDEX.partitionValue, ':before': `${createdBefore}$` },
          ExclusiveStartKey: decodeCursor(cursor, {
            attribute: LEGACY_INDEX.partitionKey,
            value: LEGACY_INDEX.partitionValue,
          }),
          Limit: limit,
        }),
      );
      const items = (result.Items ?? []).map((item) => decodeLegacyListing(item));
      const next = encodeCursor(result.LastEvaluatedKey);
      return { items, itemsRead: result.Count ?? items.length, ...(next ? { cursor: next } : {}) };
    },
  };
}

/**
 * Every connection still in the sparse legacy index, oldest first, following pages: the index
 * holds legacy connections only, so this reads as many items as there are customers on keys
 * (docs/architecture.md §3, §10), never the table.
 */
export async function listAllLegacyListings({
  client,
  tableName,
}: StoreTable): Promise<{ listings: LegacyListing[]; itemsRead: number }> {
  const listings: LegacyListing[] = [];
  let itemsRead = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const result = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: LEGACY_INDEX.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': LEGACY_INDEX.partitionKey },
        ExpressionAttributeValues: { ':pk': LEGACY_INDEX.partitionValue },
        ExclusiveStartKey: startKey,
      }),
    );
    itemsRead += result.ScannedCount ?? 0;
    for (const item of result.Items ?? []) listings.push(decodeLegacyListing(item));
    startKey = result.LastEvaluatedKey;
  } while (startKey);
  return { listings, itemsRead };
}

/** How many ACTIVE connections still use access keys, counted on the sparse index (the dashboard's gauge). */
export async function countLegacyConnectionsOnKeys({ client, tableName }: StoreTable): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const result = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: LEGACY_INDEX.indexName,
        KeyConditionExpression: '#pk = :pk',
        FilterExpression: '#status = :active',
        ExpressionAttributeNames: { '#pk': LEGACY_INDEX.partitionKey, '#status': 'status' },
        ExpressionAttributeValues: { ':pk': LEGACY_INDEX.partitionValue, ':active': 'ACTIVE' },
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
      }),
    );
    count += result.Count ?? 0;
    startKey = result.LastEvaluatedKey;
  } while (startKey);
  return count;
}
