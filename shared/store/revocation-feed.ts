/**
 * The revocation feed's write side (docs/architecture.md §2.3): every write that changes what a
 * broker may serve for an ACTIVE connection — it leaves ACTIVE (REVOKED, BROKEN, REGISTERED), or
 * its role, External ID or auth method changes — appends one entry and moves the head, in the
 * same transaction. Brokers in feed mode poll the head (@keyless/broker reads it with
 * `createDynamoDBRevocationFeed`) and re-read the connections the new entries name.
 */
import { randomUUID } from 'node:crypto';
import { FEED_KEYS } from '@keyless/broker';
import type { Connection, ConnectionStatus } from '../domain/connection.ts';
import { TABLE_KEYS, TTL_ATTRIBUTE } from './table-definition.ts';
import type { TransactionWrite } from './transaction.ts';

/**
 * Entries are kept a day: a broker reads only the last few minutes of them, and one whose last
 * poll is older than half a day forgets every status instead (revocation-feed-follower.ts).
 */
export const FEED_ENTRY_TTL_SECONDS = 86_400;

/** The fields a broker acts on; a change of one while ACTIVE makes its cached status wrong. */
const SERVED_FIELDS = ['authMethod', 'roleArn', 'externalId', 'secretRef'] as const;

/** True when a write of `connection` to `to` (setting/removing `fields`) must reach the feed. */
export function changesWhatBrokersServe(
  connection: Connection,
  to: ConnectionStatus,
  fields: readonly string[],
) {
  if (connection.status !== 'ACTIVE') return false;
  return to !== 'ACTIVE' || SERVED_FIELDS.some((field) => fields.includes(field));
}

/** The head's update and the entry's put, for the transaction of the write they record. */
export function revocationFeedWrites(
  tableName: string,
  connection: Pick<Connection, 'customerId' | 'accountId' | 'status'>,
  to: ConnectionStatus,
  now: Date,
): TransactionWrite[] {
  const at = now.toISOString();
  const entryId = randomUUID();
  const unexpected = (_current: unknown, options: ErrorOptions) =>
    new Error('The revocation feed refused an append.', options);
  return [
    {
      item: {
        Update: {
          TableName: tableName,
          Key: { [TABLE_KEYS.partitionKey]: FEED_KEYS.partition, [TABLE_KEYS.sortKey]: FEED_KEYS.head },
          // Unconditional: appends commute, the head only has to move.
          UpdateExpression: 'SET #type = :type, #updatedAt = :at ADD #sequence :one',
          ExpressionAttributeNames: { '#type': 'type', '#updatedAt': 'updatedAt', '#sequence': 'sequence' },
          ExpressionAttributeValues: { ':type': 'FEED_HEAD', ':at': at, ':one': 1 },
        },
      },
      onConditionFailed: unexpected,
    },
    {
      item: {
        Put: {
          TableName: tableName,
          Item: {
            [TABLE_KEYS.partitionKey]: FEED_KEYS.partition,
            [TABLE_KEYS.sortKey]: FEED_KEYS.entry(at, entryId),
            type: 'FEED_ENTRY',
            entryId,
            customerId: connection.customerId,
            accountId: connection.accountId,
            from: connection.status,
            to,
            at,
            [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + FEED_ENTRY_TTL_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        },
      },
      onConditionFailed: unexpected,
    },
  ];
}
