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
  seen: Pick<Setup, 'slotVersion' | 'pendingValidations'>;
  /** Slots of the setup that have expired by now: removed by the same write. */
  expired: readonly string[];
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
  if (slot) {
    names['#slots'] = 'pendingValidations';
    names['#slotVersion'] = 'slotVersion';
    values[':nextSlotVersion'] = (slot.seen.slotVersion ?? 0) + 1;
    sets.push('#slotVersion = :nextSlotVersion');
    // The claim holds only if no other claim was written since the setup was read.
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

export function createSetups(table: StoreTable) {
  const { client, tableName } = table;
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
      return updateIfCondition(table, {
        Key: itemKeys.setup(slot.customerId, slot.setupId),
        UpdateExpression: 'REMOVE #slots.#account',
        // Only the request's own slot: a newer request of the account holds another deadline.
        ConditionExpression: '#slots.#account = :until',
        ExpressionAttributeNames: { '#slots': 'pendingValidations', '#account': slot.accountId },
        ExpressionAttributeValues: { ':until': slot.until },
      });
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
