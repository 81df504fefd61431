/**
 * The broker's reads of the Keyless table: a connection's status and the revocation feed, with
 * the low-level DynamoDB client (no document client, no marshalling library in the bundle). The
 * keys are the table's own (docs/architecture.md §3); a test in Keyless checks they stay equal.
 */
import {
  type AttributeValue,
  GetItemCommand,
  type GetItemCommandOutput,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import {
  CONNECTION_STATUSES,
  type ConnectionAccess,
  type ConnectionStatus,
  type FeedEntry,
  type FeedHead,
  type RevocationFeedReader,
  type StatusReader,
} from './types.ts';

/** The revocation feed's items: one head and one entry per append, in one partition. */
export const FEED_KEYS = {
  partition: 'FEED#revocations',
  head: 'HEAD',
  entryPrefix: 'ENTRY#',
  /** Entries sort by the writer's time of the append. */
  entry: (at: string, entryId: string) => `ENTRY#${at}#${entryId}`,
} as const;

/** The primary key of a connection item. */
export const connectionKey = (customerId: string, accountId: string) => ({
  PK: `CUSTOMER#${customerId}`,
  SK: `CONN#${accountId}`,
});

/** The DynamoDB calls the readers make; a `DynamoDBClient` is one. */
export interface DynamoDBReads {
  send(command: GetItemCommand): Promise<GetItemCommandOutput>;
  send(command: QueryCommand): Promise<QueryCommandOutput>;
}

type Item = Record<string, AttributeValue>;

const text = (item: Item, name: string) => item[name]?.S;

function required(item: Item, name: string, key: string): string {
  const value = text(item, name);
  if (value === undefined) throw new Error(`The item ${key} has no ${name}.`);
  return value;
}

const ACCESS_PROJECTION =
  'customerId, accountId, #status, authMethod, roleArn, externalId, secretRef, version, createdAt';

/** A connection's status, read strongly consistently and projected to what a vend needs. */
export function createDynamoDBStatusReader({
  client,
  tableName,
}: {
  client: DynamoDBReads;
  tableName: string;
}): StatusReader {
  return {
    async getConnectionAccess(customerId, accountId) {
      const { PK, SK } = connectionKey(customerId, accountId);
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { PK: { S: PK }, SK: { S: SK } },
          ConsistentRead: true,
          ProjectionExpression: ACCESS_PROJECTION,
          ExpressionAttributeNames: { '#status': 'status' },
        }),
      );
      return Item ? decodeAccess(Item, `${PK}/${SK}`) : undefined;
    },
  };
}

function decodeAccess(item: Item, key: string): ConnectionAccess {
  const status = required(item, 'status', key) as ConnectionStatus;
  if (!CONNECTION_STATUSES.includes(status)) throw new Error(`The item ${key} has an unknown status.`);
  const authMethod = required(item, 'authMethod', key);
  if (authMethod !== 'ROLE' && authMethod !== 'ACCESS_KEYS') {
    throw new Error(`The item ${key} has an unknown authMethod.`);
  }
  const version = Number(item.version?.N);
  if (!Number.isInteger(version)) throw new Error(`The item ${key} has no version.`);
  const optional = (name: 'roleArn' | 'externalId' | 'secretRef') => {
    const value = text(item, name);
    return value === undefined ? {} : { [name]: value };
  };
  return {
    customerId: required(item, 'customerId', key),
    accountId: required(item, 'accountId', key),
    status,
    authMethod,
    version,
    createdAt: required(item, 'createdAt', key),
    ...optional('roleArn'),
    ...optional('externalId'),
    ...optional('secretRef'),
  };
}

/** The revocation feed of the Keyless table, as brokers poll it. */
export function createDynamoDBRevocationFeed({
  client,
  tableName,
}: {
  client: DynamoDBReads;
  tableName: string;
}): RevocationFeedReader {
  return {
    async readHead(): Promise<FeedHead> {
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { PK: { S: FEED_KEYS.partition }, SK: { S: FEED_KEYS.head } },
          ConsistentRead: true,
        }),
      );
      if (!Item) return { sequence: 0 };
      const updatedAt = text(Item, 'updatedAt');
      return { sequence: Number(Item.sequence?.N ?? 0), ...(updatedAt ? { updatedAt } : {}) };
    },
    async readEntriesSince(since) {
      const entries: FeedEntry[] = [];
      let startKey: Item | undefined;
      do {
        const page: QueryCommandOutput = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'PK = :feed AND SK BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':feed': { S: FEED_KEYS.partition },
              ':from': { S: `${FEED_KEYS.entryPrefix}${since}` },
              // '~' sorts after every character of an ISO time and an entry id.
              ':to': { S: `${FEED_KEYS.entryPrefix}~` },
            },
            ConsistentRead: true,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const key = text(item, 'SK') ?? FEED_KEYS.partition;
          entries.push({
            entryId: required(item, 'entryId', key),
            customerId: required(item, 'customerId', key),
            accountId: required(item, 'accountId', key),
            at: required(item, 'at', key),
          });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return entries;
    },
  };
}
