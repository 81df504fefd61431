/**
 * `GET /customers/{customerId}/audit`: every state change of a customer's connections, newest
 * first, optionally of one account, paginated like the connections list (docs/architecture.md
 * §3.1, §10). A customer of whom nothing is stored is a 404; a known customer without changes
 * gets an empty page.
 */
import * as z from 'zod/mini';
import type { AuditEntry } from '../domain/audit.ts';
import { accountIdSchema } from '../domain/identifiers.ts';
import { NotFoundError } from '../errors.ts';
import type { OperatorReads } from '../store/operator-reads.ts';

/** A page size as the API reads it from a query string. */
export const pageLimitSchema = z._default(
  z.coerce
    .number({ error: 'must be a number' })
    .check(
      z.int('must be a whole number'),
      z.gte(1, 'must be at least 1'),
      z.lte(100, 'must be at most 100'),
    ),
  50,
);

export const cursorSchema = z
  .string()
  .check(z.minLength(1, 'must not be empty'), z.maxLength(2048, 'is too long'));

/** Strict: a misspelt parameter (`acount=`) is refused by name instead of silently widening the answer. */
export const auditQuerySchema = z.strictObject({
  accountId: z.optional(accountIdSchema),
  limit: pageLimitSchema,
  cursor: z.optional(cursorSchema),
});

/** What the API shows of one audit entry. */
export interface AuditEntryView {
  at: string;
  accountId: string;
  from: AuditEntry['from'];
  to: AuditEntry['to'];
  actor: string;
  reason: string;
  sourceEventId?: string;
  /** The connection version the change produced. */
  version: number;
}

export function toAuditEntryView(entry: AuditEntry): AuditEntryView {
  return {
    at: entry.at,
    accountId: entry.accountId,
    from: entry.from,
    to: entry.to,
    actor: entry.actor,
    reason: entry.reason,
    ...(entry.sourceEventId ? { sourceEventId: entry.sourceEventId } : {}),
    version: entry.version,
  };
}

/** A 404 for a customer of whom nothing is stored. */
export const unknownCustomer = (customerId: string) =>
  new NotFoundError(
    `No customer "${customerId}" is known: nothing is stored for it (no setup, connection or audit entry).`,
  );

export async function readCustomerAudit(
  reads: Pick<OperatorReads, 'auditNewestFirst' | 'customerIsKnown'>,
  customerId: string,
  query: z.output<typeof auditQuerySchema>,
): Promise<{ entries: AuditEntryView[]; cursor?: string }> {
  const page = await reads.auditNewestFirst(customerId, {
    limit: query.limit,
    ...(query.accountId ? { accountId: query.accountId } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  // Only a first page that is empty costs the extra key read.
  if (
    page.items.length === 0 &&
    !query.cursor &&
    !page.cursor &&
    !(await reads.customerIsKnown(customerId))
  ) {
    throw unknownCustomer(customerId);
  }
  return { entries: page.items.map(toAuditEntryView), ...(page.cursor ? { cursor: page.cursor } : {}) };
}
