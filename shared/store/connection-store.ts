/**
 * The connection store: connections, their audit trail and setups in the single Keyless table.
 * Every state change is one TransactWriteItems: the connection update, conditional on `version`
 * (and on the status it was read in), plus exactly one audit entry. A lost race surfaces as a
 * ConflictError carrying what the item holds now; nothing is ever silently overwritten.
 *
 * This module only assembles the store from its parts, one per noun: connections.ts,
 * legacy-connections.ts, setups.ts, links.ts and audit.ts, over transaction.ts and decoders.ts.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAuditTrail } from './audit.ts';
import { createConnections } from './connections.ts';
import { createLegacyConnections } from './legacy-connections.ts';
import { createLinks } from './links.ts';
import { createSetups } from './setups.ts';

export type { AuditInput } from './audit.ts';
export type { RegisterConnectionInput, UpdateConnectionInput } from './connections.ts';
export type { RoleLink, StackLink } from './links.ts';
export type { ValidationSlotClaim } from './setups.ts';

export type ConnectionStore = ReturnType<typeof createConnectionStore>;

export function createConnectionStore({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}) {
  const table = { client, tableName };
  const links = createLinks(table);
  const connections = createConnections(table, links);
  const legacy = createLegacyConnections(table);
  const setups = createSetups(table);
  const audit = createAuditTrail(table);

  return {
    /** Reads one connection (strongly consistent when asked), or undefined. */
    getConnection: connections.getConnection,

    /**
     * The broker's read on every vend: strongly consistent, so a revocation is seen at once,
     * and projected to the few attributes a vend needs.
     */
    getConnectionAccess: connections.getConnectionAccess,
    /** Takes the proof of a pending request for one validator invocation (see connections.ts). */
    leaseProof: connections.leaseProof,
    /** Gives a proof lease back when the invocation fails before its verdict. */
    releaseProof: connections.releaseProof,

    /** One page of a customer's connections. */
    listConnections: connections.listConnections,

    /** One page of a customer's audit trail, oldest first. */
    listAudit: audit.listAudit,

    /** Every audit entry of a customer, following pages. */
    listAllAudit: audit.listAllAudit,

    /** Every connection of a customer, following pages. */
    listAllConnections: connections.listAllConnections,

    /**
     * Records a new role connection (REGISTERED) for a setup that still accepts callbacks, in one
     * transaction: the setup is marked USED (conditional on its External ID and expiry) and, with
     * `slot`, gives this registration a validation slot; the connection is created only where none
     * exists, or where a REVOKED one was revoked before the setup was created (so neither a late
     * Create nor an offer older than the revocation can resurrect it); the audit entry is appended.
     */
    registerConnection: connections.registerConnection,

    /**
     * Conditional update of a connection read earlier. With `to`, this is a state transition:
     * checked against the allowed transitions and written with exactly one audit entry in the
     * same transaction. Any write to a REVOKED connection is refused.
     */
    updateConnection: connections.updateConnection,

    /**
     * Deletes a registration never proven, keeping only its audit entry: an account proven outside
     * an organization setup's organization (docs/architecture.md §9.7).
     */
    discardUnproven: connections.discardUnproven,

    /** Records a legacy access-key connection (ACTIVE), indexed in the sparse legacy GSI. */
    createLegacyConnection: legacy.createLegacyConnection,

    /**
     * One page of legacy connections created at or before `createdBefore`, read from the sparse
     * index only (never the table), oldest first.
     */
    queryLegacyConnections: legacy.queryLegacyConnections,

    /** Stores a new setup (onboarding offer); its TTL attribute lets DynamoDB drop it once expired. */
    putSetup: setups.putSetup,

    getSetup: setups.getSetup,
    findSetup: setups.findSetup,

    /** The customer's setups that still accept callbacks (a query on the customer's partition, paginated). */
    listOpenSetups: setups.listOpenSetups,

    /**
     * The connection a stack registered, if it was proven and still holds the link: a forwarded
     * stack status change (which names only the stack) is traced through it.
     */
    findStackLink: links.findStackLink,

    /** The connection a role serves, if it was proven and still holds the link. */
    findRoleLink: links.findRoleLink,

    /**
     * Frees the validation slot a settled request held on its setup, if it still holds it (a newer
     * request of the same account holds it with another deadline). Best effort: a slot not freed
     * here frees itself at its deadline.
     */
    releaseValidationSlot: setups.releaseValidationSlot,

    /** Gives the head of an organization setup's queue its validation slot (docs/architecture.md §9.7). */
    promoteQueued: setups.promoteQueued,

    /** Puts a promoted request whose `Role Registered` was not published back in its queue (§9.7). */
    requeuePromoted: setups.requeuePromoted,

    /** Takes a request that no longer waits out of a setup's queue. */
    dropQueued: setups.dropQueued,

    /** Binds an organization setup to its first proven member's organization (docs/architecture.md §9.7). */
    bindSetupOrganization: setups.bindSetupOrganization,

    /**
     * Every connection in one of the given statuses, across customers, page by page: a Query of
     * the status index per status (never a table Scan), for the daily re-validation.
     */
    connectionsByStatus: connections.connectionsByStatus,

    /** Marks a setup EXPIRED (e.g. superseded by a newer one); idempotent. */
    expireSetup: setups.expireSetup,
  };
}
