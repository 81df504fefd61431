/**
 * Setups (onboarding offers) and their validation slots. A setup is marked USED, or gives a slot,
 * only inside the transaction of the connection write that uses it (`setupUpdateItem`).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isSetupAcceptingCallbacks, type Setup } from '../domain/setup.ts';
import { ConflictError } from '../errors.ts';
import { decodeSetup } from './decoders.ts';
import { queryAll } from './partition.ts';
import type { StoreTable } from './table.ts';
import { itemKeys, keys, TABLE_KEYS, TTL_ATTRIBUTE } from './table-definition.ts';
import { type TransactItem, transactWrite, updateIfCondition } from './transaction.ts';

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
  seen: Pick<Setup, 'slotVersion' | 'pendingValidations' | 'queuedValidations'>;
  /** Slots of the setup that have expired by now: removed by the same write. */
  expired: readonly string[];
  /** Queue entries of the setup whose deadline has passed: removed by the same write. */
  expiredQueue?: readonly string[];
  /**
   * An organization setup whose slots are all taken: the registration takes a place in its queue
   * instead (docs/architecture.md §9.7). Without it, the claim takes a slot, and leaves the queue
   * when it was waiting there.
   */
  queued?: boolean;
}

/**
 * The SET and REMOVE clauses that put `entry` into a map attribute of the setup and take `drop`
 * out of it, given the map as read: a map not yet there is written whole (DynamoDB cannot set a
 * path inside a missing map), and only keys that were there are removed.
 */
function mapWrites(
  alias: string,
  attribute: string,
  seen: Record<string, number> | undefined,
  { entry, drop }: { entry?: [string, number]; drop: readonly string[] },
  expression: {
    sets: string[];
    removes: string[];
    names: Record<string, string>;
    values: Record<string, unknown>;
  },
) {
  const { sets, removes, names, values } = expression;
  const dropped = drop.filter((key) => seen !== undefined && key in seen && key !== entry?.[0]);
  if (!entry && dropped.length === 0) return;
  names[`#${alias}`] = attribute;
  if (entry && seen === undefined) {
    values[`:${alias}`] = { [entry[0]]: entry[1] };
    sets.push(`#${alias} = :${alias}`);
    return;
  }
  if (entry) {
    names[`#${alias}Key`] = entry[0];
    values[`:${alias}Value`] = entry[1];
    sets.push(`#${alias}.#${alias}Key = :${alias}Value`);
  }
  dropped.forEach((key, index) => {
    names[`#${alias}Drop${index}`] = key;
    removes.push(`#${alias}.#${alias}Drop${index}`);
  });
}

/**
 * The one Update of a setup item a transaction may carry: mark it USED (keeping the first
 * usedAt, conditional on its External ID, and on it still being open when `requireOpen`),
 * and/or claim a validation slot on it.
 */
export function setupUpdateItem(
  tableName: string,
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
): TransactItem {
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
      // A bound organization setup outlives its expiry (outlivesItsExpiry, docs/architecture.md §9.7).
      Object.assign(values, { ':expired': 'EXPIRED', ':organization': 'organization' });
      names['#scope'] = 'scope';
      conditions.push(
        '(expiresAt > :now OR (#scope = :organization AND attribute_exists(organizationId)))',
        '#status <> :expired',
      );
    }
  }
  // A place in an existing queue needs no exact count (the queue's cap is a bound on the setup
  // item's size, not on work): it is written without the slot version, so the accounts of an
  // organization arriving at once do not race each other for it. Whoever queues drains after.
  const exactClaim = slot !== undefined && !(slot.queued && slot.seen.queuedValidations !== undefined);
  if (slot && exactClaim) {
    names['#slotVersion'] = 'slotVersion';
    values[':nextSlotVersion'] = (slot.seen.slotVersion ?? 0) + 1;
    sets.push('#slotVersion = :nextSlotVersion');
    // The claim holds only if no other claim was written since the setup was read.
    if (slot.seen.slotVersion === undefined) conditions.push('attribute_not_exists(#slotVersion)');
    else {
      values[':seenSlotVersion'] = slot.seen.slotVersion;
      conditions.push('#slotVersion = :seenSlotVersion');
    }
  }
  if (slot) {
    const entry: [string, number] = [slot.accountId, slot.until];
    const expression = { sets, removes, names, values };
    // A slot, or a place in the queue: the account holds one of the two, never both.
    mapWrites(
      'slots',
      'pendingValidations',
      slot.seen.pendingValidations,
      slot.queued
        ? { drop: exactClaim ? [...slot.expired, slot.accountId] : [slot.accountId] }
        : { entry, drop: slot.expired },
      expression,
    );
    mapWrites(
      'queue',
      'queuedValidations',
      slot.seen.queuedValidations,
      slot.queued
        ? { entry, drop: slot.expiredQueue ?? [] }
        : { drop: [...(slot.expiredQueue ?? []), slot.accountId] },
      expression,
    );
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

/**
 * Marks a connection's pending request queued again (`queued` true) or no longer queued (false), on
 * condition that it is still that request, waiting on that setup with that deadline, and was in the
 * other state: the connection's half of promoting a queued request and of undoing a promotion.
 */
function pendingQueuedItem(
  tableName: string,
  request: { customerId: string; accountId: string; requestId: string; setupId: string; until: number },
  queued: boolean,
): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: itemKeys.connection(request.customerId, request.accountId),
      UpdateExpression: queued ? 'SET #pending.#queued = :true' : 'REMOVE #pending.#queued',
      ConditionExpression: `#pending.#requestId = :requestId AND ${
        queued ? 'attribute_not_exists(#pending.#queued)' : '#pending.#queued = :true'
      } AND #pending.#slotSetupId = :setupId AND #pending.#deadline = :until`,
      ExpressionAttributeNames: {
        '#pending': 'pendingAnswer',
        '#queued': 'queued',
        '#requestId': 'requestId',
        '#slotSetupId': 'slotSetupId',
        '#deadline': 'deadline',
      },
      ExpressionAttributeValues: {
        ':requestId': request.requestId,
        ':setupId': request.setupId,
        ':until': request.until,
        ':true': true,
      },
    },
  };
}

export function createSetups(table: StoreTable) {
  const { client, tableName } = table;

  /**
   * Removes an account's entry from one of a setup's maps (its validation slots, its queue), only
   * while it still holds `until`: a newer request of the account holds another deadline.
   */
  const removeAccountEntry = (
    map: 'pendingValidations' | 'queuedValidations',
    entry: { customerId: string; setupId: string; accountId: string; until: number },
  ): Promise<boolean> =>
    updateIfCondition(table, {
      Key: itemKeys.setup(entry.customerId, entry.setupId),
      UpdateExpression: 'REMOVE #map.#account',
      ConditionExpression: '#map.#account = :until',
      ExpressionAttributeNames: { '#map': map, '#account': entry.accountId },
      ExpressionAttributeValues: { ':until': entry.until },
    });

  return {
    async putSetup(setup: Setup): Promise<Setup> {
      // Keep expired setups a day for diagnosis ("your setup expired"), then let TTL remove them.
      // An organization setup is kept: it may outlive its expiry once bound (§9.7).
      const ttl =
        setup.scope === 'organization' ? undefined : Math.floor(Date.parse(setup.expiresAt) / 1000) + 86_400;
      const expiry = ttl === undefined ? {} : { [TTL_ATTRIBUTE]: ttl };
      const fresh = {
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      };
      // With its pointer, so `POST /setups/{setupId}/registrations` finds it by id alone.
      await transactWrite(table, [
        {
          item: {
            Put: {
              TableName: tableName,
              Item: {
                ...itemKeys.setup(setup.customerId, setup.setupId),
                type: 'SETUP',
                // An organization setup's queue exists from the start, so a place in it can be
                // written without a race on the whole map (setupUpdateItem).
                ...(setup.scope === 'organization' ? { queuedValidations: {} } : {}),
                ...setup,
                ...expiry,
              },
              ...fresh,
            },
          },
          onConditionFailed: (_current, options) =>
            new ConflictError(`Setup ${setup.setupId} exists.`, undefined, options),
        },
        {
          // Unconditional: Keyless issues setup ids as random UUIDs, so no two setups share one;
          // the setup item's own condition is what keeps a setup from being written twice.
          item: {
            Put: {
              TableName: tableName,
              Item: {
                ...itemKeys.setupPointer(setup.setupId),
                type: 'SETUP_POINTER',
                customerId: setup.customerId,
                ...expiry,
              },
            },
          },
          onConditionFailed: (_current, options) =>
            new ConflictError(`Setup ${setup.setupId} exists.`, undefined, options),
        },
      ]);
      return setup;
    },

    /** A setup by its id alone, through its pointer; undefined when there is none. */
    async findSetup(setupId: string): Promise<Setup | undefined> {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: itemKeys.setupPointer(setupId), ConsistentRead: true }),
      );
      const customerId = Item?.customerId;
      if (typeof customerId !== 'string') return undefined;
      const { Item: setup } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: itemKeys.setup(customerId, setupId),
          ConsistentRead: true,
        }),
      );
      return setup ? decodeSetup(setup) : undefined;
    },

    async getSetup(customerId: string, setupId: string): Promise<Setup | undefined> {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: itemKeys.setup(customerId, setupId),
          ConsistentRead: true,
        }),
      );
      return Item ? decodeSetup(Item) : undefined;
    },

    async listOpenSetups(customerId: string, now = new Date()): Promise<Setup[]> {
      const setups = await queryAll(table, customerId, keys.prefix.setup, decodeSetup);
      return setups.filter((s) => isSetupAcceptingCallbacks(s, now));
    },

    async releaseValidationSlot(slot: {
      customerId: string;
      setupId: string;
      accountId: string;
      until: number;
    }): Promise<boolean> {
      return removeAccountEntry('pendingValidations', slot);
    },

    /**
     * Gives the head of an organization setup's queue its slot (`claim`, conditional on the slot
     * version as read) and marks its pending request no longer queued, in one transaction:
     * `promoted`; `raced` when another claim changed the slots first; `gone` when the request no
     * longer waits (answered, superseded, revoked).
     */
    async promoteQueued(
      claim: ValidationSlotClaim,
      { customerId, requestId }: { customerId: string; requestId: string },
      now: Date,
    ): Promise<'promoted' | 'raced' | 'gone'> {
      const raced = new ConflictError('The validation slots changed since they were read.');
      const gone = new ConflictError('The request no longer waits in the queue.');
      try {
        await transactWrite(table, [
          {
            item: setupUpdateItem(tableName, { customerId, setupId: claim.setupId }, { slot: claim, now }),
            onConditionFailed: () => raced,
          },
          {
            item: pendingQueuedItem(
              tableName,
              {
                customerId,
                accountId: claim.accountId,
                requestId,
                setupId: claim.setupId,
                until: claim.until,
              },
              false,
            ),
            onConditionFailed: () => gone,
          },
        ]);
        return 'promoted';
      } catch (error) {
        if (error === raced) return 'raced';
        if (error === gone) return 'gone';
        throw error;
      }
    },

    /**
     * Undoes a promotion whose `Role Registered` could not be published (docs/architecture.md §9.7):
     * the account's slot goes back to being its place in the queue, and its pending request is
     * queued again, in one transaction. False when either changed since (a verdict, a newer request).
     */
    async requeuePromoted(entry: {
      customerId: string;
      setupId: string;
      accountId: string;
      until: number;
      requestId: string;
    }): Promise<boolean> {
      const changed = new ConflictError('The promoted request changed since it was promoted.');
      try {
        await transactWrite(table, [
          {
            item: {
              Update: {
                TableName: tableName,
                Key: itemKeys.setup(entry.customerId, entry.setupId),
                // Like a released slot, no slot version: a claim read before sees one slot fewer
                // free than there is, never more.
                UpdateExpression: 'REMOVE #slots.#account SET #queue.#account = :until',
                ConditionExpression: '#slots.#account = :until AND attribute_exists(#queue)',
                ExpressionAttributeNames: {
                  '#slots': 'pendingValidations',
                  '#queue': 'queuedValidations',
                  '#account': entry.accountId,
                },
                ExpressionAttributeValues: { ':until': entry.until },
              },
            },
            onConditionFailed: () => changed,
          },
          {
            item: pendingQueuedItem(tableName, entry, true),
            onConditionFailed: () => changed,
          },
        ]);
        return true;
      } catch (error) {
        if (error === changed) return false;
        throw error;
      }
    },

    /** Takes an account out of a setup's queue, if it still waits there with this deadline. */
    async dropQueued(entry: {
      customerId: string;
      setupId: string;
      accountId: string;
      until: number;
    }): Promise<boolean> {
      return removeAccountEntry('queuedValidations', entry);
    },

    /**
     * Binds an organization setup to the organization of its first proven member (§9.7): true when
     * the setup is now bound to `organizationId`, false when it is bound to another (a race lost to
     * a member of another organization) or is not an organization setup.
     */
    async bindSetupOrganization(key: {
      customerId: string;
      setupId: string;
      organizationId: string;
    }): Promise<boolean> {
      return updateIfCondition(table, {
        Key: itemKeys.setup(key.customerId, key.setupId),
        UpdateExpression: 'SET organizationId = if_not_exists(organizationId, :org)',
        ConditionExpression:
          'attribute_exists(#pk) AND #scope = :organization AND (attribute_not_exists(organizationId) OR organizationId = :org)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#scope': 'scope' },
        ExpressionAttributeValues: { ':org': key.organizationId, ':organization': 'organization' },
      });
    },

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
}
