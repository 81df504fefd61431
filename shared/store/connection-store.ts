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
import { ConflictError, ForbiddenTransitionError, LinkConflictError } from '../errors.ts';
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
  /** A validation slot to claim on a setup for this write's pending request. */
  slot?: ValidationSlotClaim;
  /**
   * The links a proven connection holds: its stack and its role, written only by the write that
   * records the proof, and only where no other live connection holds them (LinkConflictError).
   */
  claimLinks?: { stackId: string; roleArn: string };
  /** Links this connection no longer holds (revoked, or its role or stack replaced by a proven one). */
  releaseLinks?: { stackId?: string; roleArn?: string };
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

/**
 * A place among the registrations a setup may have awaiting validation at once (invariant 10).
 * The claim is conditional on the setup's slot version as read, so two registrations racing
 * for the last place cannot both take it: one write fails with a ConflictError and decides again.
 */
export interface ValidationSlotClaim {
  setupId: string;
  accountId: string;
  /** When the slot frees itself if no verdict frees it first: the pending answer's deadline. */
  until: number;
  /** The setup as read. */
  seen: Pick<Setup, 'slotVersion' | 'pendingValidations'>;
  /** Slots of the setup that have expired by now: removed by the same write. */
  expired: readonly string[];
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

/** Which connection a CloudFormation stack registered; written only once the connection is proven. */
export interface StackLink {
  stackId: string;
  customerId: string;
  accountId: string;
}

/** Which connection a customer role serves; written only once the connection is proven. */
export interface RoleLink {
  roleArn: string;
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

  /**
   * The one Update of a setup item a transaction may carry: mark it USED (keeping the first
   * usedAt, conditional on its External ID, and on it still being open when `requireOpen`),
   * and/or claim a validation slot on it.
   */
  function setupUpdateItem(
    key: { customerId: string; setupId: string },
    {
      use,
      slot,
      now,
    }: {
      use?: { externalId: string; requireOpen?: boolean };
      slot?: ValidationSlotClaim;
      now: Date;
    },
  ) {
    const sets: string[] = [];
    const removes: string[] = [];
    const conditions: string[] = ['attribute_exists(#pk)'];
    const names: Record<string, string> = { '#pk': TABLE_KEYS.partitionKey };
    const values: Record<string, unknown> = {};
    if (use) {
      names['#status'] = 'status';
      Object.assign(values, { ':used': 'USED', ':now': now.toISOString(), ':ext': use.externalId });
      sets.push('#status = :used', 'usedAt = if_not_exists(usedAt, :now)');
      conditions.push('externalId = :ext');
      if (use.requireOpen) {
        values[':expired'] = 'EXPIRED';
        conditions.push('expiresAt > :now', '#status <> :expired');
      }
    }
    if (slot) {
      names['#slots'] = 'pendingValidations';
      names['#slotVersion'] = 'slotVersion';
      values[':nextSlotVersion'] = (slot.seen.slotVersion ?? 0) + 1;
      sets.push('#slotVersion = :nextSlotVersion');
      if (slot.seen.slotVersion === undefined) conditions.push('attribute_not_exists(#slotVersion)');
      else {
        values[':seenSlotVersion'] = slot.seen.slotVersion;
        conditions.push('#slotVersion = :seenSlotVersion');
      }
      if (slot.seen.pendingValidations === undefined) {
        values[':slots'] = { [slot.accountId]: slot.until };
        sets.push('#slots = :slots');
      } else {
        names['#slotAccount'] = slot.accountId;
        values[':slotUntil'] = slot.until;
        sets.push('#slots.#slotAccount = :slotUntil');
        slot.expired
          .filter((accountId) => accountId !== slot.accountId)
          .forEach((accountId, index) => {
            names[`#expiredSlot${index}`] = accountId;
            removes.push(`#slots.#expiredSlot${index}`);
          });
      }
    }
    return {
      Update: {
        TableName: tableName,
        Key: itemKeys.setup(key.customerId, key.setupId),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      },
    };
  }

  /** The condition under which a connection may write a link: none exists, it is its own, or it was released. */
  const LINK_FREE_FOR_HOLDER =
    'attribute_not_exists(#pk) OR attribute_exists(releasedAt) OR (customerId = :customer AND accountId = :account)';

  /** Puts a link for a proven connection, unless another connection holds it. */
  function claimLinkItem(key: Record<string, string>, link: Record<string, string>, now: Date) {
    return {
      Put: {
        TableName: tableName,
        Item: { ...key, ...link, linkedAt: now.toISOString() },
        ConditionExpression: LINK_FREE_FOR_HOLDER,
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':customer': link.customerId, ':account': link.accountId },
      },
    };
  }

  /** Marks a link released, if it is this connection's (another's is never touched). */
  function releaseLinkItem(
    key: Record<string, string>,
    holder: { customerId: string; accountId: string },
    now: Date,
  ) {
    return {
      Update: {
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET releasedAt = :now',
        ConditionExpression: 'customerId = :customer AND accountId = :account',
        ExpressionAttributeValues: {
          ':now': now.toISOString(),
          ':customer': holder.customerId,
          ':account': holder.accountId,
        },
      },
    };
  }

  async function getLink(key: Record<string, string>) {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return Item && Item.releasedAt === undefined ? Item : undefined;
  }

  /** The index of the transaction item whose condition failed, if that is why it was cancelled. */
  function failedIndex(error: unknown): number | undefined {
    if (!(error instanceof TransactionCanceledException)) return undefined;
    const index = (error.CancellationReasons ?? []).findIndex((r) => r.Code === 'ConditionalCheckFailed');
    return index >= 0 ? index : undefined;
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
     * transaction: the setup is marked USED (conditional on its External ID and expiry) and, with
     * `slot`, gives this registration a validation slot; the connection is created only where none
     * exists, or where a REVOKED one was revoked before the setup was created (so neither a late
     * Create nor an offer older than the revocation can resurrect it); the audit entry is appended.
     */
    async registerConnection({ connection, setup, slot, audit, now = new Date() }: RegisterConnectionInput) {
      const item = { ...toItem(connection), version: 1, status: 'REGISTERED' as const };
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              setupUpdateItem(setup, {
                use: { externalId: setup.externalId, requireOpen: true },
                ...(slot ? { slot } : {}),
                now,
              }),
              {
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
              auditItem(connection.customerId, connection.accountId, 'NONE', 'REGISTERED', 1, audit, now),
            ],
          }),
        );
      } catch (error) {
        conflictFrom(error, (index, current) =>
          index === 0
            ? 'The setup is no longer open, its External ID does not match, or its validation slots changed since they were read.'
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
      // Each item after the connection's, with the error its failed condition means.
      const conflicts: ((cause: unknown) => Error)[] = [];
      if (input.slot && input.useSetup && input.slot.setupId !== input.useSetup.setupId) {
        throw new Error('A write claims a validation slot only on the setup it uses.');
      }
      const setupKey =
        input.useSetup ??
        (input.slot ? { customerId: connection.customerId, setupId: input.slot.setupId } : undefined);
      if (setupKey) {
        transactItems.push(
          setupUpdateItem(setupKey, {
            ...(input.useSetup ? { use: { externalId: input.useSetup.externalId } } : {}),
            ...(input.slot ? { slot: input.slot } : {}),
            now,
          }),
        );
        conflicts.push(
          (cause) =>
            new ConflictError(
              `Setup ${setupKey.setupId} of customer ${connection.customerId} does not exist with this External ID, or its validation slots changed since they were read.`,
              undefined,
              { cause },
            ),
        );
      }
      const holder = { customerId: connection.customerId, accountId: connection.accountId };
      const claims = input.claimLinks;
      const releases = input.releaseLinks ?? {};
      if (claims) {
        const { stackId, roleArn } = claims;
        transactItems.push(
          claimLinkItem(itemKeys.stackLink(stackId), { type: 'STACK_LINK', stackId, ...holder }, now),
          claimLinkItem(itemKeys.roleLink(roleArn), { type: 'ROLE_LINK', roleArn, ...holder }, now),
        );
        conflicts.push(
          (cause) => new LinkConflictError('stack', stackId, { cause }),
          (cause) => new LinkConflictError('role', roleArn, { cause }),
        );
      }
      // Only links this connection holds are released; one it never held (or that another holds,
      // which only data older than the links can show) is left alone, so a revocation never fails.
      const toRelease = [
        releases.stackId && releases.stackId !== claims?.stackId
          ? { kind: 'stack' as const, value: releases.stackId, key: itemKeys.stackLink(releases.stackId) }
          : undefined,
        releases.roleArn && releases.roleArn !== claims?.roleArn
          ? { kind: 'role' as const, value: releases.roleArn, key: itemKeys.roleLink(releases.roleArn) }
          : undefined,
      ].filter((release) => release !== undefined);
      for (const release of toRelease) {
        const link = await getLink(release.key);
        if (link?.customerId !== holder.customerId || link.accountId !== holder.accountId) continue;
        transactItems.push(releaseLinkItem(release.key, holder, now));
        conflicts.push((cause) => new LinkConflictError(release.kind, release.value, { cause }));
      }
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
        const failed = failedIndex(error);
        const extra = failed === undefined || failed === 0 ? undefined : conflicts[failed - 1];
        if (extra) throw extra(error);
        conflictFrom(error, (_index, current) =>
          current
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
     * The connection a stack registered, if it was proven and still holds the link: a forwarded
     * stack status change (which names only the stack) is traced through it.
     */
    async findStackLink(stackId: string): Promise<StackLink | undefined> {
      const item = await getLink(itemKeys.stackLink(stackId));
      return item
        ? { stackId, customerId: item.customerId as string, accountId: item.accountId as string }
        : undefined;
    },

    /** The connection a role serves, if it was proven and still holds the link. */
    async findRoleLink(roleArn: string): Promise<RoleLink | undefined> {
      const item = await getLink(itemKeys.roleLink(roleArn));
      return item
        ? { roleArn, customerId: item.customerId as string, accountId: item.accountId as string }
        : undefined;
    },

    /**
     * Frees the validation slot a settled request held on its setup, if it still holds it (a newer
     * request of the same account holds it with another deadline). Best effort: a slot not freed
     * here frees itself at its deadline.
     */
    async releaseValidationSlot(slot: {
      customerId: string;
      setupId: string;
      accountId: string;
      until: number;
    }): Promise<boolean> {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: itemKeys.setup(slot.customerId, slot.setupId),
            UpdateExpression: 'REMOVE #slots.#account',
            ConditionExpression: '#slots.#account = :until',
            ExpressionAttributeNames: { '#slots': 'pendingValidations', '#account': slot.accountId },
            ExpressionAttributeValues: { ':until': slot.until },
          }),
        );
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
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
