/**
 * What the migration-reminder job writes to the Keyless table: the per-connection reminder claim
 * (a conditional write on `lastRemindedAt`, so one connection is reminded at most once per
 * interval whatever runs or retries overlap) and the job's cursor item, so a run stopped before
 * the Lambda deadline resumes where it left off.
 *
 * The claim does not bump the connection's `version`: it is bookkeeping, not a state change, and
 * must never make the validator or the revocation lose their version-conditional writes.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { itemKeys, LEGACY_INDEX, TABLE_KEYS } from '../store/table-definition.ts';

/** A run of the job, carried across invocations until every page has been read. */
export interface ReminderRun {
  /** Stable for the whole run (the first invocation's scheduled event id). */
  runId: string;
  /** Connections created at or before this instant are past the grace period. */
  createdBefore: string;
  startedAt: string;
  /** Where the next invocation continues; absent before the first page. */
  cursor?: string;
  /** Running totals, so the last invocation can report the whole run. */
  totals: ReminderTotals;
}

export interface ReminderTotals {
  scanned: number;
  flagged: number;
  reminded: number;
  failed: number;
  skipped: number;
  itemsRead: number;
}

export interface ClaimInput {
  customerId: string;
  accountId: string;
  reminderId: string;
  now: Date;
  /** The claim succeeds only if the last reminder is at or before this instant (or there was none). */
  remindedAtOrBefore: string;
}

export type ReminderStore = ReturnType<typeof createReminderStore>;

/** The partition of the reminder job's run marker (cursor), its only deletable item. */
export const REMINDER_JOB_PARTITION = 'JOB#migration-reminder';

const JOB_KEY = {
  [TABLE_KEYS.partitionKey]: REMINDER_JOB_PARTITION,
  [TABLE_KEYS.sortKey]: 'CURSOR',
} as const;

export function createReminderStore({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}) {
  return {
    /**
     * Marks the connection reminded now, only if it is still an ACTIVE connection on access keys
     * (still in the sparse index) and was not reminded within the interval. Returns the previous
     * `lastRemindedAt` when claimed (so a failed publish can hand the claim back), or
     * `{ claimed: false }` when another run got there first or the customer has migrated.
     */
    async claim(input: ClaimInput): Promise<{ claimed: true; previous?: string } | { claimed: false }> {
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: itemKeys.connection(input.customerId, input.accountId),
            UpdateExpression: 'SET lastRemindedAt = :now, lastReminderId = :rid',
            ConditionExpression:
              'attribute_exists(#legacyPK) AND authMethod = :keys AND #status = :active AND ' +
              '(attribute_not_exists(lastRemindedAt) OR lastRemindedAt <= :due)',
            ExpressionAttributeNames: { '#legacyPK': LEGACY_INDEX.partitionKey, '#status': 'status' },
            ExpressionAttributeValues: {
              ':now': input.now.toISOString(),
              ':rid': input.reminderId,
              ':keys': 'ACCESS_KEYS',
              ':active': 'ACTIVE',
              ':due': input.remindedAtOrBefore,
            },
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        const previous = Attributes?.lastRemindedAt as string | undefined;
        return previous ? { claimed: true, previous } : { claimed: true };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { claimed: false };
        throw error;
      }
    },

    /**
     * Hands a claim back after its event could not be published, restoring the previous
     * `lastRemindedAt`, so the connection stays due and the next run reminds it. Only the claim
     * with this reminderId is undone; a newer one is left alone.
     */
    async release({
      customerId,
      accountId,
      reminderId,
      previous,
    }: {
      customerId: string;
      accountId: string;
      reminderId: string;
      previous?: string;
    }): Promise<void> {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: itemKeys.connection(customerId, accountId),
            UpdateExpression: previous
              ? 'SET lastRemindedAt = :previous REMOVE lastReminderId'
              : 'REMOVE lastRemindedAt, lastReminderId',
            ConditionExpression: 'lastReminderId = :rid',
            ExpressionAttributeValues: { ':rid': reminderId, ...(previous ? { ':previous': previous } : {}) },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return;
        throw error;
      }
    },

    /** The run an earlier invocation left unfinished, if any. */
    async getRun(): Promise<ReminderRun | undefined> {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: JOB_KEY, ConsistentRead: true }),
      );
      if (!Item) return undefined;
      const { runId, createdBefore, startedAt, cursor, totals } = Item as ReminderRun &
        Record<string, unknown>;
      return { runId, createdBefore, startedAt, totals, ...(cursor ? { cursor } : {}) };
    },

    async saveRun(run: ReminderRun, now: Date): Promise<void> {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...JOB_KEY, type: 'JOB_CURSOR', ...run, updatedAt: now.toISOString() },
        }),
      );
    },

    async clearRun(): Promise<void> {
      await client.send(new DeleteCommand({ TableName: tableName, Key: JOB_KEY }));
    },
  };
}
