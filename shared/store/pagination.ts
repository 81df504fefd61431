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

export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('cursor is not a cursor this API returned', [
    { path: 'cursor', message: 'invalid' },
  ]);
}
