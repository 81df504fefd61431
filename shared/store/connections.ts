/**
 * Connections: reads, the registration of a role connection and every later conditional update.
 * Each write is one transaction (transaction.ts): the connection write, conditional on what was
 * read, with the setup, link and audit writes that belong to it.
 */
import { GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import {
  ALLOWED_TRANSITIONS,
  assertTransition,
  type Connection,
  type ConnectionAccess,
  type ConnectionStatus,
  type LegacyConnection,
  type RoleConnection,
} from '../domain/connection.ts';
import type { Setup } from '../domain/setup.ts';
import { ConflictError, ForbiddenTransitionError } from '../errors.ts';
import { type AuditInput, auditItem } from './audit.ts';
import { conflictState, decodeConnection, decodeConnectionAccess, type StoredItem } from './decoders.ts';
import type { createLinks } from './links.ts';
import { migrationLedgerPut } from './migration-ledger.ts';
import { queryAll, queryPage } from './partition.ts';
import { changesWhatBrokersServe, revocationFeedWrites } from './revocation-feed.ts';
import { setupUpdateItem, type ValidationSlotClaim } from './setups.ts';
import type { StoreTable } from './table.ts';
import { itemKeys, keys, LEGACY_INDEX, STATUS_INDEX, TABLE_KEYS } from './table-definition.ts';
import { type TransactionWrite, transactWrite, updateIfCondition } from './transaction.ts';

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
  /** A validation slot to claim on a setup for this write's pending request. */
  slot?: ValidationSlotClaim;
  /**
   * The links a proven connection holds: its stack and its role, written only by the write that
   * records the proof, and only where no other live connection holds them (LinkConflictError).
   */
  /** A connection registered without a stack (API, Terraform) claims its role only. */
  claimLinks?: { stackId?: string | undefined; roleArn: string };
  /** Links this connection no longer holds (revoked, or its role or stack replaced by a proven one). */
  releaseLinks?: { stackId?: string | undefined; roleArn?: string };
  now?: Date;
}

export interface RegisterConnectionInput {
  connection: RoleConnection;
  /**
   * The setup whose External ID the registration brought: it must still accept callbacks and,
   * when a REVOKED connection is replaced, have been created after the revocation.
   */
  setup: Pick<Setup, 'customerId' | 'setupId' | 'externalId' | 'createdAt'>;
  slot?: ValidationSlotClaim;
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

/** The item a connection is stored as. */
export function connectionItem(connection: Connection) {
  return {
    ...itemKeys.connection(connection.customerId, connection.accountId),
    type: 'CONNECTION',
    ...connection,
  };
}

/** The error of a connection Put whose key is taken (`current`: the item found there). */
export const alreadyExists =
  (accountId: string) =>
  (current: StoredItem | undefined, options: ErrorOptions): Error =>
    new ConflictError(
      `A connection for account ${accountId} already exists (${String(current?.status)}).`,
      conflictState(current),
      options,
    );

/** The conditional Update of a connection as read, and the version it writes. */
function connectionUpdate(tableName: string, input: UpdateConnectionInput, to: ConnectionStatus, now: Date) {
  const { connection, set = {}, remove = [] } = input;
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
  const write: TransactionWrite = {
    item: {
      Update: {
        TableName: tableName,
        Key: itemKeys.connection(connection.customerId, connection.accountId),
        UpdateExpression: update,
        // Nothing is written over a change made since the connection was read.
        ConditionExpression: '#version = :expected AND #status = :from',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    onConditionFailed: (current, options) =>
      new ConflictError(
        current
          ? `Connection ${connection.customerId}/${connection.accountId} changed since it was read: expected ${connection.status} v${connection.version}, found ${String(current.status)} v${String(current.version)}.`
          : `Connection ${connection.customerId}/${connection.accountId} no longer exists.`,
        conflictState(current),
        options,
      ),
  };
  return { write, nextVersion };
}

/** The attributes of a pending request's proof lease (see leaseProof). */
const PROOF_LEASE_NAMES = {
  '#pending': 'pendingAnswer',
  '#started': 'proofStartedAt',
  '#requestId': 'requestId',
};

export function createConnections(table: StoreTable, links: ReturnType<typeof createLinks>) {
  const { client, tableName } = table;
  return {
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
      return Item ? decodeConnection(Item) : undefined;
    },

    /**
     * Takes the proof of a pending request: true for exactly one caller while the lease is fresh, so
     * a redelivered `Role Registered` never starts a second proof of the same request (invariant 10).
     * A lease older than `staleBefore` (its invocation died) can be taken again. The version stays.
     */
    async leaseProof({
      customerId,
      accountId,
      requestId,
      now,
      staleBefore,
    }: {
      customerId: string;
      accountId: string;
      requestId: string;
      now: Date;
      staleBefore: Date;
    }): Promise<boolean> {
      return updateIfCondition(table, {
        Key: itemKeys.connection(customerId, accountId),
        UpdateExpression: 'SET #pending.#started = :now',
        ConditionExpression:
          '#pending.#requestId = :requestId AND (attribute_not_exists(#pending.#started) OR #pending.#started < :stale)',
        ExpressionAttributeNames: PROOF_LEASE_NAMES,
        ExpressionAttributeValues: {
          ':now': now.toISOString(),
          ':stale': staleBefore.toISOString(),
          ':requestId': requestId,
        },
      });
    },

    /** Gives a proof lease back (the invocation failed before its verdict), if it is still this one. */
    async releaseProof({
      customerId,
      accountId,
      requestId,
      startedAt,
    }: {
      customerId: string;
      accountId: string;
      requestId: string;
      startedAt: Date;
    }): Promise<boolean> {
      return updateIfCondition(table, {
        Key: itemKeys.connection(customerId, accountId),
        UpdateExpression: 'REMOVE #pending.#started',
        ConditionExpression: '#pending.#requestId = :requestId AND #pending.#started = :started',
        ExpressionAttributeNames: PROOF_LEASE_NAMES,
        ExpressionAttributeValues: { ':requestId': requestId, ':started': startedAt.toISOString() },
      });
    },

    async getConnectionAccess(customerId: string, accountId: string): Promise<ConnectionAccess | undefined> {
      const key = itemKeys.connection(customerId, accountId);
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: key,
          ConsistentRead: true,
          ProjectionExpression: ACCESS_PROJECTION.join(', '),
          ExpressionAttributeNames: { '#status': 'status' },
        }),
      );
      // The projection carries no key attributes: a corrupt item is named by the key it was read with.
      return Item ? decodeConnectionAccess(Item, key) : undefined;
    },

    async listConnections(
      customerId: string,
      { cursor, limit = 100 }: { cursor?: string; limit?: number } = {},
    ) {
      return queryPage(table, customerId, keys.prefix.connection, decodeConnection, { cursor, limit });
    },

    async listAllConnections(customerId: string): Promise<Connection[]> {
      return queryAll(table, customerId, keys.prefix.connection, decodeConnection);
    },

    async registerConnection({ connection, setup, slot, audit, now = new Date() }: RegisterConnectionInput) {
      const item = { ...connectionItem(connection), version: 1, status: 'REGISTERED' as const };
      const exists = alreadyExists(connection.accountId);
      await transactWrite(table, [
        {
          item: setupUpdateItem(tableName, setup, {
            use: { externalId: setup.externalId, requireOpen: true },
            ...(slot ? { slot } : {}),
            now,
          }),
          onConditionFailed: (current, options) =>
            new ConflictError(
              'The setup is no longer open, its External ID does not match, or its validation slots changed since they were read.',
              conflictState(current),
              options,
            ),
        },
        {
          item: {
            Put: {
              TableName: tableName,
              Item: item,
              // REVOKED is terminal: only an offer issued after the revocation may replace it.
              // (An item revoked before `revokedAt` existed was last written by its revocation.)
              ConditionExpression:
                'attribute_not_exists(#pk) OR (#status = :revoked AND (revokedAt < :offeredAt OR (attribute_not_exists(revokedAt) AND updatedAt < :offeredAt)))',
              ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#status': 'status' },
              ExpressionAttributeValues: { ':revoked': 'REVOKED', ':offeredAt': setup.createdAt },
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
            'REGISTERED',
            1,
            audit,
            now,
          ),
          onConditionFailed: exists,
        },
      ]);
      return decodeConnection(item);
    },

    async updateConnection(input: UpdateConnectionInput): Promise<Connection> {
      const { connection, set = {}, remove = [], audit, now = new Date() } = input;
      const to = input.to ?? connection.status;
      const isTransition = to !== connection.status;
      if (connection.status === 'REVOKED')
        throw new ForbiddenTransitionError('REVOKED', to, ALLOWED_TRANSITIONS.REVOKED);
      if (isTransition) assertTransition(connection.status, to);
      if (isTransition && !audit) throw new Error('A state transition needs an audit entry.');

      const { write, nextVersion } = connectionUpdate(tableName, input, to, now);
      const writes: TransactionWrite[] = [write];
      if (input.slot && input.useSetup && input.slot.setupId !== input.useSetup.setupId) {
        throw new Error('A write claims a validation slot only on the setup it uses.');
      }
      const setupKey =
        input.useSetup ??
        (input.slot ? { customerId: connection.customerId, setupId: input.slot.setupId } : undefined);
      if (setupKey) {
        writes.push({
          item: setupUpdateItem(tableName, setupKey, {
            ...(input.useSetup ? { use: { externalId: input.useSetup.externalId } } : {}),
            ...(input.slot ? { slot: input.slot } : {}),
            now,
          }),
          onConditionFailed: (_current, options) =>
            new ConflictError(
              `Setup ${setupKey.setupId} of customer ${connection.customerId} does not exist with this External ID, or its validation slots changed since they were read.`,
              undefined,
              options,
            ),
        });
      }
      const holder = { customerId: connection.customerId, accountId: connection.accountId };
      writes.push(
        ...(await links.linkWrites({ holder, claims: input.claimLinks, releases: input.releaseLinks, now })),
      );
      if (audit) {
        writes.push({
          item: auditItem(
            tableName,
            connection.customerId,
            connection.accountId,
            connection.status,
            to,
            nextVersion,
            audit,
            now,
          ),
          // An entry that cannot be appended fails the write it records, as the connection's conflict.
          onConditionFailed: write.onConditionFailed,
        });
      }
      // A migration off access keys is also a line of the migration ledger (docs/architecture.md §3).
      if (input.leaveLegacyIndex && connection.authMethod === 'ACCESS_KEYS') {
        writes.push({
          item: migrationLedgerPut(tableName, connection, now),
          onConditionFailed: write.onConditionFailed,
        });
      }
      // Brokers in feed mode learn of a change to what they may serve within their interval (§2.3).
      const changed = [
        ...Object.keys(set).filter((field) => set[field as SettableField] !== undefined),
        ...remove,
      ];
      if (changesWhatBrokersServe(connection, to, changed)) {
        writes.push(...revocationFeedWrites(tableName, connection, to, now));
      }
      await transactWrite(table, writes);
      const next: StoredItem = { ...connection, ...set, status: to, version: nextVersion };
      next.updatedAt = now.toISOString();
      for (const field of remove) delete next[field];
      return decodeConnection(next, itemKeys.connection(connection.customerId, connection.accountId));
    },

    /**
     * Deletes a connection that was never proven and leaves only its audit entry (`to` FAILED, with
     * the reason): an account proven outside an organization setup's organization
     * (docs/architecture.md §9.7). Conditional on the version and status as read, so a newer
     * registration, or a proof, that won a race is never deleted; and on the connection carrying no
     * revocation time (`offersValidAfter`), which invariant 9 needs kept. A lost race is a
     * ConflictError.
     */
    async discardUnproven({
      connection,
      audit,
      now = new Date(),
    }: {
      connection: Connection;
      audit: AuditInput;
      now?: Date;
    }): Promise<void> {
      if (connection.status !== 'REGISTERED' || connection.authMethod !== 'ROLE') {
        throw new Error('Only a registration never proven can be discarded.');
      }
      const conflict = (current: StoredItem | undefined, options: ErrorOptions) =>
        new ConflictError(
          `Connection ${connection.customerId}/${connection.accountId} changed since it was read.`,
          conflictState(current),
          options,
        );
      await transactWrite(table, [
        {
          item: {
            Delete: {
              TableName: tableName,
              Key: itemKeys.connection(connection.customerId, connection.accountId),
              ConditionExpression:
                '#version = :expected AND #status = :registered AND attribute_not_exists(offersValidAfter)',
              ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
              ExpressionAttributeValues: { ':expected': connection.version, ':registered': 'REGISTERED' },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          onConditionFailed: conflict,
        },
        {
          item: auditItem(
            tableName,
            connection.customerId,
            connection.accountId,
            'REGISTERED',
            'FAILED',
            connection.version + 1,
            audit,
            now,
          ),
          onConditionFailed: conflict,
        },
      ]);
    },

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
        for await (const page of pages) for (const item of page.Items ?? []) yield decodeConnection(item);
      }
    },
  };
}
