/**
 * The connection store: connections, their audit trail and setups in the single Keyless table.
 * Every state change is one TransactWriteItems: the connection update, conditional on `version`
 * (and on the status it was read in), plus exactly one audit entry. A lost race surfaces as a
 * ConflictError carrying what the item holds now; nothing is ever silently overwritten.
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AuditActor, AuditEntry } from '../domain/audit.ts';
import {
  ALLOWED_TRANSITIONS,
  assertTransition,
  type Connection,
  type ConnectionAccess,
  type ConnectionStatus,
  type LegacyConnection,
  type RoleConnection,
} from '../domain/connection.ts';
import { isSetupAcceptingCallbacks, type Setup } from '../domain/setup.ts';
import { ConflictError, ForbiddenTransitionError } from '../errors.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import { itemKeys, keys, LEGACY_INDEX, STATUS_INDEX, TABLE_KEYS, TTL_ATTRIBUTE } from './table-definition.ts';

/** Why and by whom a change is made; becomes the audit entry. */
export interface AuditInput {
  actor: AuditActor;
  reason: string;
  sourceEventId?: string;
}

type ConnectionFields = Partial<Omit<RoleConnection, 'authMethod'>> &
  Partial<Omit<LegacyConnection, 'authMethod'>> & { authMethod?: Connection['authMethod'] };
type SettableField = Exclude<
  keyof ConnectionFields,
  'customerId' | 'accountId' | 'version' | 'status' | 'createdAt'
>;

export interface UpdateConnectionInput {
  /** The connection as it was read: its status and version are the write's condition. */
  connection: Connection;
  /** The new status; omit to keep the current one (a plain conditional update, not a transition). */
  to?: ConnectionStatus;
  set?: { [K in SettableField]?: ConnectionFields[K] };
  remove?: SettableField[];
  /** Drop the sparse legacy-index keys (the connection has migrated off access keys). */
  leaveLegacyIndex?: boolean;
  /** Required for a status change; optional for an update that keeps the status. */
  audit?: AuditInput;
  /**
   * The setup whose External ID this write switches in: marked USED in the same transaction
   * (conditional on the setup existing with that External ID), so a setup is never left OPEN
   * after the stored ID changed, and never marked USED by a write that did not happen.
   */
  useSetup?: Pick<Setup, 'customerId' | 'setupId' | 'externalId'>;
  now?: Date;
}

export interface RegisterConnectionInput {
  connection: RoleConnection;
  /** The setup whose External ID the registration brought; it must still accept callbacks. */
  setup: Pick<Setup, 'customerId' | 'setupId' | 'externalId'>;
  audit: AuditInput;
  now?: Date;
}

const ACCESS_PROJECTION = [
  'customerId',
  'accountId',
  '#status',
  'authMethod',
  'roleArn',
  'externalId',
  'secretRef',
  'version',
  'createdAt',
] as const;

/** Which connection a CloudFormation stack registered. */
export interface StackLink {
  stackId: string;
  customerId: string;
  accountId: string;
}

export type ConnectionStore = ReturnType<typeof createConnectionStore>;

export function createConnectionStore({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}) {
  function auditItem(
    customerId: string,
    accountId: string,
    from: ConnectionStatus | 'NONE',
    to: ConnectionStatus,
    version: number,
    input: AuditInput,
    now: Date,
  ) {
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
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      },
    };
  }

  /** Turns a cancelled transaction into a ConflictError that says which condition failed and why. */
  function conflictFrom(
    error: unknown,
    describe: (index: number, current?: Record<string, unknown>) => string,
  ): never {
    if (error instanceof TransactionCanceledException) {
      const reasons = error.CancellationReasons ?? [];
      const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (index >= 0) {
        const raw = reasons[index]?.Item;
        const current = raw ? unmarshall(raw) : undefined;
        throw new ConflictError(
          describe(index, current),
          current ? { status: current.status as string, version: current.version as number } : undefined,
          { cause: error },
        );
      }
    }
    throw error;
  }

  /** Marks a setup USED (keeping the first usedAt), conditional on it holding `externalId`. */
  function useSetupItem(setup: Pick<Setup, 'customerId' | 'setupId' | 'externalId'>, now: Date) {
    return {
      Update: {
        TableName: tableName,
        Key: itemKeys.setup(setup.customerId, setup.setupId),
        UpdateExpression: 'SET #status = :used, usedAt = if_not_exists(usedAt, :now)',
        ConditionExpression: 'attribute_exists(#pk) AND externalId = :ext',
        ExpressionAttributeNames: { '#status': 'status', '#pk': TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':used': 'USED', ':now': now.toISOString(), ':ext': setup.externalId },
      },
    };
  }

  return {
    /** Reads one connection (strongly consistent when asked), or undefined. */
    async getConnection(
      customerId: string,
      accountId: string,
      { consistent = true }: { consistent?: boolean } = {},
    ): Promise<Connection | undefined> {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: itemKeys.connection(customerId, accountId),
          ConsistentRead: consistent,
        }),
      );
      return Item ? toConnection(Item) : undefined;
    },

    /**
     * The broker's read on every vend: strongly consistent, so a revocation is seen at once,
     * and projected to the few attributes a vend needs.
     */
    async getConnectionAccess(customerId: string, accountId: string): Promise<ConnectionAccess | undefined> {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: itemKeys.connection(customerId, accountId),
          ConsistentRead: true,
          ProjectionExpression: ACCESS_PROJECTION.join(', '),
          ExpressionAttributeNames: { '#status': 'status' },
        }),
      );
      return Item as ConnectionAccess | undefined;
    },

    /** One page of a customer's connections. */
    async listConnections(
      customerId: string,
      { cursor, limit = 100 }: { cursor?: string; limit?: number } = {},
    ) {
      return queryPage(customerId, keys.prefix.connection, toConnection, { cursor, limit });
    },

    /** One page of a customer's audit trail, oldest first. */
    async listAudit(customerId: string, { cursor, limit = 100 }: { cursor?: string; limit?: number } = {}) {
      return queryPage(customerId, keys.prefix.audit, toAuditEntry, { cursor, limit });
    },

    /** Every audit entry of a customer, following pages. */
    async listAllAudit(customerId: string): Promise<AuditEntry[]> {
      return queryAll(customerId, keys.prefix.audit, toAuditEntry);
    },

    /** Every connection of a customer, following pages. */
    async listAllConnections(customerId: string): Promise<Connection[]> {
      return queryAll(customerId, keys.prefix.connection, toConnection);
    },

    /**
     * Records a new role connection (REGISTERED) for a setup that still accepts callbacks, in one
     * transaction: the setup is marked USED (conditional on its External ID and expiry), the
     * connection is created (only where none exists, or where a REVOKED one held another External
     * ID, so a late Create can never resurrect a revoked connection) and the audit entry appended.
     */
    async registerConnection({ connection, setup, audit, now = new Date() }: RegisterConnectionInput) {
      const item = { ...toItem(connection), version: 1, status: 'REGISTERED' as const };
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: tableName,
                  Key: itemKeys.setup(setup.customerId, setup.setupId),
                  UpdateExpression: 'SET #status = :used, usedAt = if_not_exists(usedAt, :now)',
                  ConditionExpression: 'externalId = :ext AND expiresAt > :now AND #status <> :expired',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: {
                    ':used': 'USED',
                    ':expired': 'EXPIRED',
                    ':now': now.toISOString(),
                    ':ext': setup.externalId,
                  },
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: item,
                  ConditionExpression:
                    'attribute_not_exists(#pk) OR (#status = :revoked AND externalId <> :ext)',
                  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#status': 'status' },
                  ExpressionAttributeValues: { ':revoked': 'REVOKED', ':ext': connection.externalId },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              auditItem(connection.customerId, connection.accountId, 'NONE', 'REGISTERED', 1, audit, now),
            ],
          }),
        );
      } catch (error) {
        conflictFrom(error, (index, current) =>
          index === 0
            ? 'The setup is no longer open: it expired or its External ID does not match.'
            : `A connection for account ${connection.accountId} already exists (${String(current?.status)}).`,
        );
      }
      return toConnection(item);
    },

    /**
     * Conditional update of a connection read earlier. With `to`, this is a state transition:
     * checked against the allowed transitions and written with exactly one audit entry in the
     * same transaction. Any write to a REVOKED connection is refused.
     */
    async updateConnection(input: UpdateConnectionInput): Promise<Connection> {
      const { connection, set = {}, remove = [], audit, now = new Date() } = input;
      const to = input.to ?? connection.status;
      const isTransition = to !== connection.status;
      if (connection.status === 'REVOKED')
        throw new ForbiddenTransitionError('REVOKED', to, ALLOWED_TRANSITIONS.REVOKED);
      if (isTransition) assertTransition(connection.status, to);
      if (isTransition && !audit) throw new Error('A state transition needs an audit entry.');

      const nextVersion = connection.version + 1;
      const names: Record<string, string> = {
        '#status': 'status',
        '#version': 'version',
        '#updatedAt': 'updatedAt',
      };
      const values: Record<string, unknown> = {
        ':to': to,
        ':from': connection.status,
        ':expected': connection.version,
        ':next': nextVersion,
        ':now': now.toISOString(),
      };
      const setClauses = ['#status = :to', '#version = :next', '#updatedAt = :now'];
      for (const [field, value] of Object.entries(set)) {
        if (value === undefined) continue;
        names[`#${field}`] = field;
        values[`:${field}`] = value;
        setClauses.push(`#${field} = :${field}`);
      }
      const removed = [
        ...remove,
        ...(input.leaveLegacyIndex ? [LEGACY_INDEX.partitionKey, LEGACY_INDEX.sortKey] : []),
      ];
      for (const field of removed) names[`#${field}`] = field;
      const update = `SET ${setClauses.join(', ')}${removed.length ? ` REMOVE ${removed.map((f) => `#${f}`).join(', ')}` : ''}`;

      const transactItems: NonNullable<
        ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
      > = [
        {
          Update: {
            TableName: tableName,
            Key: itemKeys.connection(connection.customerId, connection.accountId),
            UpdateExpression: update,
            ConditionExpression: '#version = :expected AND #status = :from',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ];
      if (input.useSetup) transactItems.push(useSetupItem(input.useSetup, now));
      if (audit) {
        transactItems.push(
          auditItem(
            connection.customerId,
            connection.accountId,
            connection.status,
            to,
            nextVersion,
            audit,
            now,
          ),
        );
      }
      try {
        await client.send(new TransactWriteCommand({ TransactItems: transactItems }));
      } catch (error) {
        conflictFrom(error, (index, current) =>
          input.useSetup && index === 1
            ? `Setup ${input.useSetup.setupId} of customer ${connection.customerId} does not exist with this External ID.`
            : current
              ? `Connection ${connection.customerId}/${connection.accountId} changed since it was read: expected ${connection.status} v${connection.version}, found ${String(current.status)} v${String(current.version)}.`
              : `Connection ${connection.customerId}/${connection.accountId} no longer exists.`,
        );
      }
      const next: Record<string, unknown> = { ...connection, ...set, status: to, version: nextVersion };
      next.updatedAt = now.toISOString();
      for (const field of remove) delete next[field];
      return next as unknown as Connection;
    },

    /** Records a legacy access-key connection (ACTIVE), indexed in the sparse legacy GSI. */
    async createLegacyConnection(connection: LegacyConnection, audit: AuditInput, now = new Date()) {
      const item = {
        ...toItem({ ...connection, status: 'ACTIVE', version: 1 }),
        [LEGACY_INDEX.partitionKey]: LEGACY_INDEX.partitionValue,
        [LEGACY_INDEX.sortKey]: keys.legacySort(
          connection.createdAt,
          connection.customerId,
          connection.accountId,
        ),
      };
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: item,
                  ConditionExpression: 'attribute_not_exists(#pk)',
                  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              auditItem(connection.customerId, connection.accountId, 'NONE', 'ACTIVE', 1, audit, now),
            ],
          }),
        );
      } catch (error) {
        conflictFrom(
          error,
          (_i, current) =>
            `A connection for account ${connection.accountId} already exists (${String(current?.status)}).`,
        );
      }
      return toConnection(item) as LegacyConnection;
    },

    /**
     * One page of legacy connections created at or before `createdBefore`, read from the sparse
     * index only (never the table), oldest first.
     */
    async queryLegacyConnections({
      createdBefore,
      cursor,
      limit = 100,
    }: {
      createdBefore: string;
      cursor?: string;
      limit?: number;
    }): Promise<
      Page<
        Pick<
          LegacyConnection,
          'customerId' | 'accountId' | 'createdAt' | 'lastRemindedAt' | 'status' | 'version'
        >
      > & { itemsRead: number }
    > {
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
      const items = (result.Items ?? []).map((item) => ({
        customerId: item.customerId as string,
        accountId: item.accountId as string,
        createdAt: item.createdAt as string,
        status: item.status as ConnectionStatus,
        version: item.version as number,
        ...(item.lastRemindedAt ? { lastRemindedAt: item.lastRemindedAt as string } : {}),
      }));
      const next = encodeCursor(result.LastEvaluatedKey);
      return { items, itemsRead: result.Count ?? items.length, ...(next ? { cursor: next } : {}) };
    },

    /** Stores a new setup (onboarding offer); its TTL attribute lets DynamoDB drop it once expired. */
    async putSetup(setup: Setup): Promise<Setup> {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...itemKeys.setup(setup.customerId, setup.setupId),
            type: 'SETUP',
            ...setup,
            // Keep expired setups a day for diagnosis ("your setup expired"), then let TTL remove them.
            [TTL_ATTRIBUTE]: Math.floor(Date.parse(setup.expiresAt) / 1000) + 86_400,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        }),
      );
      return setup;
    },

    async getSetup(customerId: string, setupId: string): Promise<Setup | undefined> {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: itemKeys.setup(customerId, setupId),
          ConsistentRead: true,
        }),
      );
      return Item ? toSetup(Item) : undefined;
    },

    /** The customer's setups that still accept callbacks (a query on the customer's partition, paginated). */
    async listOpenSetups(customerId: string, now = new Date()): Promise<Setup[]> {
      const setups = await queryAll(customerId, keys.prefix.setup, toSetup);
      return setups.filter((s) => isSetupAcceptingCallbacks(s, now));
    },

    /**
     * Remembers which connection a CloudFormation stack belongs to, so a stack status change
     * (which names only the stack) can be traced to its connection. Idempotent.
     */
    async linkStack(link: StackLink): Promise<void> {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...itemKeys.stackLink(link.stackId),
            type: 'STACK_LINK',
            ...link,
          },
        }),
      );
    },

    /** The connection a stack was registered for, if any. */
    async findStackLink(stackId: string): Promise<StackLink | undefined> {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: itemKeys.stackLink(stackId),
          ConsistentRead: true,
        }),
      );
      return Item
        ? {
            stackId: Item.stackId as string,
            customerId: Item.customerId as string,
            accountId: Item.accountId as string,
          }
        : undefined;
    },

    /**
     * Every connection in one of the given statuses, across customers, page by page: a Query of
     * the status index per status (never a table Scan), for the daily re-validation.
     */
    async *connectionsByStatus(statuses: readonly ConnectionStatus[]): AsyncGenerator<Connection> {
      for (const status of statuses) {
        const pages = paginateQuery(
          { client },
          {
            TableName: tableName,
            IndexName: STATUS_INDEX.indexName,
            KeyConditionExpression: '#status = :status',
            FilterExpression: '#type = :connection',
            ExpressionAttributeNames: { '#status': STATUS_INDEX.partitionKey, '#type': 'type' },
            ExpressionAttributeValues: { ':status': status, ':connection': 'CONNECTION' },
          },
        );
        for await (const page of pages) for (const item of page.Items ?? []) yield toConnection(item);
      }
    },

    /** Marks a setup EXPIRED (e.g. superseded by a newer one); idempotent. */
    async expireSetup(customerId: string, setupId: string): Promise<void> {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: itemKeys.setup(customerId, setupId),
          UpdateExpression: 'SET #status = :expired',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#status': 'status', '#pk': TABLE_KEYS.partitionKey },
          ExpressionAttributeValues: { ':expired': 'EXPIRED' },
        }),
      );
    },
  };

  async function queryPage<T>(
    customerId: string,
    prefix: string,
    map: (item: Record<string, unknown>) => T,
    { cursor, limit }: { cursor: string | undefined; limit: number },
  ): Promise<Page<T>> {
    const result = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey },
        ExpressionAttributeValues: { ':pk': keys.customer(customerId), ':prefix': prefix },
        ExclusiveStartKey: decodeCursor(
          cursor,
          { attribute: TABLE_KEYS.partitionKey, value: keys.customer(customerId) },
          { attribute: TABLE_KEYS.sortKey, prefix },
        ),
        Limit: limit,
      }),
    );
    const next = encodeCursor(result.LastEvaluatedKey);
    return { items: (result.Items ?? []).map(map), ...(next ? { cursor: next } : {}) };
  }

  async function queryAll<T>(customerId: string, prefix: string, map: (item: Record<string, unknown>) => T) {
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
    for await (const page of pages) for (const item of page.Items ?? []) items.push(map(item));
    return items;
  }
}

const STORAGE_ONLY = new Set<string>([
  TABLE_KEYS.partitionKey,
  TABLE_KEYS.sortKey,
  LEGACY_INDEX.partitionKey,
  LEGACY_INDEX.sortKey,
  TTL_ATTRIBUTE,
  'type',
]);

function stripStorage(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !STORAGE_ONLY.has(k)));
}

function toItem(connection: Connection) {
  return {
    ...itemKeys.connection(connection.customerId, connection.accountId),
    type: 'CONNECTION',
    ...connection,
  };
}

const toConnection = (item: Record<string, unknown>) => stripStorage(item) as unknown as Connection;
const toSetup = (item: Record<string, unknown>) => stripStorage(item) as unknown as Setup;
const toAuditEntry = (item: Record<string, unknown>) => stripStorage(item) as unknown as AuditEntry;
