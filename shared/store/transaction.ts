/**
 * The one way the store writes several items at once: a single TransactWriteItems, where each item
 * carries the error its failed condition means, so a lost race surfaces as that item's typed error
 * (with the cancellation as `cause`) instead of a bare TransactionCanceledException.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { StoredItem } from './decoders.ts';
import type { StoreTable } from './table.ts';

/** One entry of TransactItems: a Put, an Update, a ConditionCheck or a Delete. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface TransactionWrite {
  item: TransactItem;
  /**
   * The error this item's failed condition means. `current` is the item as DynamoDB returned it,
   * present only when the item asks for ReturnValuesOnConditionCheckFailure and the item exists.
   */
  onConditionFailed: (current: StoredItem | undefined, options: ErrorOptions) => Error;
}

/** Attempts of a transaction cancelled only by a concurrent one (TransactionConflict). */
const CONFLICT_ATTEMPTS = 4;

/**
 * Sends the writes as one transaction. A cancellation whose reason is a failed condition becomes
 * the error of the first item that failed; any other failure is rethrown as it is.
 */
export async function transactWrite({ client }: StoreTable, writes: readonly TransactionWrite[]) {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: writes.map((write) => write.item) }));
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const index = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
      // Two transitions appending to the revocation feed at once conflict on its head: try again.
      if (index < 0 && attempt < CONFLICT_ATTEMPTS && reasons.some((r) => r.Code === 'TransactionConflict')) {
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30));
        continue;
      }
      throwConditionFailure(error, writes, index);
    }
  }
}

/** The error of the item whose condition failed (`index`), or the cancellation as it is. */
function throwConditionFailure(
  error: TransactionCanceledException,
  writes: readonly TransactionWrite[],
  index: number,
): never {
  const write = writes[index];
  if (!write) throw error;
  // The exception comes from the low-level client, so its Item is still in DynamoDB's wire format.
  const raw = error.CancellationReasons?.[index]?.Item;
  throw write.onConditionFailed(raw ? unmarshall(raw) : undefined, { cause: error });
}

/**
 * One conditional update whose lost condition is an answer, not an error (a lease already taken,
 * a slot already freed): true when it was written, false when its condition did not hold.
 */
export async function updateIfCondition(
  { client, tableName }: StoreTable,
  input: Omit<UpdateCommandInput, 'TableName'>,
) {
  try {
    await client.send(new UpdateCommand({ TableName: tableName, ...input }));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
