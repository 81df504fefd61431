/** Opaque cursors over DynamoDB's LastEvaluatedKey, safe to hand to an API caller or a next invocation. */
import { ValidationError } from '../errors.ts';

export interface Page<T> {
  items: T[];
  /** Present when there is more to read; pass it back to continue. */
  cursor?: string;
}

export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

/**
 * Decodes a cursor. With `partition`, the cursor must point into that partition (key attribute and
 * value), so a caller cannot steer a query into another customer's items with a crafted cursor.
 */
export function decodeCursor(
  cursor: string | undefined,
  partition?: { attribute: string; value: string },
  /** For a table query by sort-key prefix: the cursor holds exactly both keys, inside the prefix. */
  sortKey?: { attribute: string; prefix: string },
): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      // Every key attribute of the table and its indexes is a string; DynamoDB rejects anything
      // else with a ValidationException that would surface as a 500.
      Object.values(value).every((v) => typeof v === 'string') &&
      (!partition || (value as Record<string, unknown>)[partition.attribute] === partition.value) &&
      (!sortKey ||
        (Object.keys(value).length === 2 &&
          String((value as Record<string, unknown>)[sortKey.attribute]).startsWith(sortKey.prefix)))
    ) {
      return value as Record<string, unknown>;
    }
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('cursor is not a cursor this API returned', [
    { path: 'cursor', message: 'invalid' },
  ]);
}
