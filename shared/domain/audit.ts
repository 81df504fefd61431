import type { ConnectionStatus } from './connection.ts';

/** Who caused a change: a function, an API caller, or the customer's stack. */
export type AuditActor =
  | 'registration-callback'
  | 'role-validator'
  | 'revocation'
  | 'setup-api'
  | 'migration-reminder'
  | 'credential-broker'
  | 'legacy-registration'
  | (string & {});

/** One line of the audit trail: appended with the transition, in the same transaction. */
export interface AuditEntry {
  customerId: string;
  accountId: string;
  auditId: string;
  at: string;
  from: ConnectionStatus | 'NONE';
  to: ConnectionStatus;
  actor: AuditActor;
  reason: string;
  /** The id of the event or request that caused the change (SNS message, CloudFormation request, …). */
  sourceEventId?: string;
  /** The connection version the transition produced. */
  version: number;
}
