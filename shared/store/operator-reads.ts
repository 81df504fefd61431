/**
 * The reads behind the operators' API (GET /customers/{id}, …/audit, GET /migration): each a Query
 * of one customer's partition, of the sparse legacy index or of the migration ledger, never a
 * table Scan (docs/architecture.md §10).
 */
import type { Connection } from '../domain/connection.ts';
import type { Setup } from '../domain/setup.ts';
import { customerIsKnown, lastAuditEntry, queryAuditNewestFirst } from './audit.ts';
import { decodeConnection, decodeSetup } from './decoders.ts';
import { listAllLegacyListings } from './legacy-connections.ts';
import { createMigrationLedger } from './migration-ledger.ts';
import { queryAll } from './partition.ts';
import type { StoreTable } from './table.ts';
import { keys } from './table-definition.ts';

export type OperatorReads = ReturnType<typeof createOperatorReads>;

export function createOperatorReads(table: StoreTable) {
  const ledger = createMigrationLedger(table);
  return {
    /** One page of a customer's audit trail, newest first, optionally of one account. */
    auditNewestFirst: (customerId: string, options: Parameters<typeof queryAuditNewestFirst>[2]) =>
      queryAuditNewestFirst(table, customerId, options),
    lastAuditEntry: (customerId: string) => lastAuditEntry(table, customerId),
    customerIsKnown: (customerId: string) => customerIsKnown(table, customerId),
    allConnections: (customerId: string): Promise<Connection[]> =>
      queryAll(table, customerId, keys.prefix.connection, decodeConnection),
    allSetups: (customerId: string): Promise<Setup[]> =>
      queryAll(table, customerId, keys.prefix.setup, decodeSetup),
    /** Every connection still on access keys, from the sparse index. */
    legacyListings: () => listAllLegacyListings(table),
    /** The migration ledger's lines of a range of UTC days. */
    ledgerDays: ledger.readDays,
  };
}
