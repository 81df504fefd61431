/**
 * `GET /migration?from=&to=&oldest=`: the access-key migration programme — how many connections
 * still use access keys, how many were reminded and migrated on each day of the range, and the
 * ones on keys the longest (docs/architecture.md §10). Built from the sparse legacy index (who is
 * on keys now, oldest first) and the migration ledger (reminders and migrations by day); it never
 * scans the table, so its cost grows with legacy customers and ledger days, not with all customers.
 */
import * as z from 'zod/mini';
import { ValidationError } from '../errors.ts';
import { type LedgerEntry, utcDay } from '../store/migration-ledger.ts';
import type { OperatorReads } from '../store/operator-reads.ts';

const DAY_MS = 86_400_000;
/** The widest range one report covers. */
export const MAX_REPORT_DAYS = 366;
export const DEFAULT_REPORT_DAYS = 30;

const isoDay = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a UTC day, yyyy-mm-dd'),
  z.refine(
    (day) => !Number.isNaN(Date.parse(`${day}T00:00:00Z`)) && utcDay(new Date(`${day}T00:00:00Z`)) === day,
    { message: 'is not a calendar day' },
  ),
);

export const migrationQuerySchema = z.strictObject({
  from: z.optional(isoDay),
  to: z.optional(isoDay),
  /** How many of the connections on keys the longest to list. */
  oldest: z._default(
    z.coerce
      .number({ error: 'must be a number' })
      .check(
        z.int('must be a whole number'),
        z.gte(0, 'must be at least 0'),
        z.lte(100, 'must be at most 100'),
      ),
    10,
  ),
});

export interface MigrationDay {
  day: string;
  reminded: number;
  migrated: number;
  /** Connections on keys at the end of the day (those revoked while on keys are not counted). */
  remaining: number;
}

export interface MigrationReport {
  from: string;
  to: string;
  /** Where the figures come from: the sparse index and the ledger, never a table scan. */
  source: 'legacy-by-created index + migration ledger';
  /** ACTIVE connections still on access keys now. */
  remaining: number;
  totals: { reminded: number; migrated: number };
  days: MigrationDay[];
  oldest: {
    customerId: string;
    accountId: string;
    createdAt: string;
    daysOnAccessKeys: number;
    lastRemindedAt?: string;
  }[];
}

const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);
const addDays = (day: string, days: number) => utcDay(new Date(dayStart(day) + days * DAY_MS));

/** The range asked for, checked: from ≤ to ≤ today, at most MAX_REPORT_DAYS days. */
export function reportRange(
  query: z.output<typeof migrationQuerySchema>,
  now: Date,
): { from: string; to: string } {
  const today = utcDay(now);
  const to = query.to ?? today;
  const from = query.from ?? addDays(to, -(DEFAULT_REPORT_DAYS - 1));
  const refuse = (path: string, message: string) => {
    throw new ValidationError(`Invalid request: query.${path} ${message}.`, [
      { path: `query.${path}`, message },
    ]);
  };
  if (to > today) refuse('to', `must not be after today (${today})`);
  if (from > to) refuse('from', `must not be after to (${to})`);
  if ((dayStart(to) - dayStart(from)) / DAY_MS + 1 > MAX_REPORT_DAYS)
    refuse('from', `must be at most ${MAX_REPORT_DAYS} days before to`);
  return { from, to };
}

export async function buildMigrationReport(
  reads: Pick<OperatorReads, 'legacyListings' | 'ledgerDays'>,
  query: z.output<typeof migrationQuerySchema>,
  now: Date,
): Promise<MigrationReport> {
  const { from, to } = reportRange(query, now);
  const today = utcDay(now);
  // Migrations after the range are needed too: a connection migrated since `to` was still on keys then.
  const [{ listings }, { entries }] = await Promise.all([
    reads.legacyListings(),
    reads.ledgerDays(from, today),
  ]);
  const onKeys = listings.filter((listing) => listing.status === 'ACTIVE');
  const migrations = entries.filter((entry) => entry.kind === 'MIGRATED');

  const perDay = new Map<string, { reminded: number; migrated: number }>();
  const count = (entry: LedgerEntry) => {
    if (entry.day < from || entry.day > to) return;
    const tally = perDay.get(entry.day) ?? { reminded: 0, migrated: 0 };
    if (entry.kind === 'REMINDED') tally.reminded += 1;
    else tally.migrated += 1;
    perDay.set(entry.day, tally);
  };
  for (const entry of entries) count(entry);

  const days: MigrationDay[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const endOfDay = new Date(dayStart(day) + DAY_MS).toISOString();
    const remaining =
      onKeys.filter((listing) => listing.createdAt < endOfDay).length +
      migrations.filter((m) => m.day > day && m.legacyCreatedAt < endOfDay).length;
    days.push({ day, ...(perDay.get(day) ?? { reminded: 0, migrated: 0 }), remaining });
  }

  return {
    from,
    to,
    source: 'legacy-by-created index + migration ledger',
    remaining: onKeys.length,
    totals: {
      reminded: days.reduce((sum, d) => sum + d.reminded, 0),
      migrated: days.reduce((sum, d) => sum + d.migrated, 0),
    },
    days,
    // The index's sort key starts with createdAt: the listings are oldest first already.
    oldest: onKeys.slice(0, query.oldest).map((listing) => ({
      customerId: listing.customerId,
      accountId: listing.accountId,
      createdAt: listing.createdAt,
      daysOnAccessKeys: Math.max(0, Math.floor((now.getTime() - Date.parse(listing.createdAt)) / DAY_MS)),
      ...(listing.lastRemindedAt ? { lastRemindedAt: listing.lastRemindedAt } : {}),
    })),
  };
}
