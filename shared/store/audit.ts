/** The audit trail: one entry per state change, written in the transaction that makes the change. */
import { randomUUID } from 'node:crypto';
import type { AuditActor, AuditEntry } from '../domain/audit.ts';
import type { ConnectionStatus } from '../domain/connection.ts';
import { decodeAuditEntry } from './decoders.ts';
import { queryAll, queryPage } from './partition.ts';
import type { StoreTable } from './table.ts';
import { itemKeys, keys, TABLE_KEYS } from './table-definition.ts';
import type { TransactItem } from './transaction.ts';

/** Why and by whom a change is made; becomes the audit entry. */
export interface AuditInput {
  actor: AuditActor;
  reason: string;
  sourceEventId?: string;
}

/** The Put of one new audit entry, for the transaction that records the change it describes. */
export function auditItem(
  tableName: string,
  customerId: string,
  accountId: string,
  from: ConnectionStatus | 'NONE',
  to: ConnectionStatus,
  version: number,
  input: AuditInput,
  now: Date,
): TransactItem {
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
      // Entries are appended, never replaced.
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
    },
  };
}

export function createAuditTrail(table: StoreTable) {
  return {
    async listAudit(customerId: string, { cursor, limit = 100 }: { cursor?: string; limit?: number } = {}) {
      return queryPage(table, customerId, keys.prefix.audit, decodeAuditEntry, { cursor, limit });
    },

    async listAllAudit(customerId: string): Promise<AuditEntry[]> {
      return queryAll(table, customerId, keys.prefix.audit, decodeAuditEntry);
    },
  };
}
