/** Reads of one customer's partition by sort-key prefix: one page for an API caller, or every page. */
import { paginateQuery, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredItem } from './decoders.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import type { StoreTable } from './table.ts';
import { keys, TABLE_KEYS } from './table-definition.ts';

export async function queryPage<T>(
  { client, tableName }: StoreTable,
  customerId: string,
  prefix: string,
  decode: (item: StoredItem) => T,
  { cursor, limit }: { cursor: string | undefined; limit: number },
): Promise<Page<T>> {
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey },
      ExpressionAttributeValues: { ':pk': keys.customer(customerId), ':prefix': prefix },
      // A cursor may only continue inside this customer's partition and this prefix.
      ExclusiveStartKey: decodeCursor(
        cursor,
        { attribute: TABLE_KEYS.partitionKey, value: keys.customer(customerId) },
        { attribute: TABLE_KEYS.sortKey, prefix },
      ),
      Limit: limit,
    }),
  );
  const next = encodeCursor(result.LastEvaluatedKey);
  return { items: (result.Items ?? []).map((item) => decode(item)), ...(next ? { cursor: next } : {}) };
}

/** Follows every page, past DynamoDB's 1 MB limit per response. */
export async function queryAll<T>(
  { client, tableName }: StoreTable,
  customerId: string,
  prefix: string,
  decode: (item: StoredItem) => T,
): Promise<T[]> {
  const items: T[] = [];
  const pages = paginateQuery(
    { client },
    {
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey },
      ExpressionAttributeValues: { ':pk': keys.customer(customerId), ':prefix': prefix },
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) items.push(decode(item));
  return items;
}
