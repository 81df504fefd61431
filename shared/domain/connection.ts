/**
 * Connections: one customer AWS account reachable by the provider.
 * Pure domain code: no AWS imports, so every rule is testable on its own.
 */
import { ForbiddenTransitionError } from '../errors.ts';

export const CONNECTION_STATUSES = ['REGISTERED', 'ACTIVE', 'FAILED', 'BROKEN', 'REVOKED'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export const AUTH_METHODS = ['ROLE', 'ACCESS_KEYS'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/**
 * The allowed state changes, as data. REGISTERED is re-entered when a stack Update brings a new
 * role or External ID; BROKEN recovers through re-validation; REVOKED is terminal.
 */
export const ALLOWED_TRANSITIONS: Readonly<Record<ConnectionStatus, readonly ConnectionStatus[]>> = {
  REGISTERED: ['ACTIVE', 'FAILED', 'REVOKED'],
  ACTIVE: ['REGISTERED', 'BROKEN', 'REVOKED'],
  FAILED: ['REGISTERED', 'REVOKED'],
  BROKEN: ['REGISTERED', 'ACTIVE', 'REVOKED'],
  REVOKED: [],
};

export function canTransition(from: ConnectionStatus, to: ConnectionStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

/** Throws a ForbiddenTransitionError that names both states and what is allowed instead. */
export function assertTransition(from: ConnectionStatus, to: ConnectionStatus): void {
  if (!canTransition(from, to)) throw new ForbiddenTransitionError(from, to, ALLOWED_TRANSITIONS[from]);
}

/** How a connection was registered (docs/architecture.md §9.6). */
export const CONNECTION_SOURCES = ['cloudformation', 'api', 'terraform'] as const;
export type ConnectionSource = (typeof CONNECTION_SOURCES)[number];

/**
 * The request a connection still awaits the verdict of (cleared once settled). A CloudFormation
 * request also carries where its answer goes; a registration by API or Terraform owes none.
 */
export interface PendingCloudFormationAnswer {
  requestId: string;
  requestType: 'Create' | 'Update';
  /** CloudFormation only: the pre-signed ResponseURL, and the answer's identifiers. */
  responseUrl?: string;
  logicalResourceId?: string;
  stackId?: string;
  physicalResourceId?: string;
  /** Epoch ms after which the pre-signed URL and CloudFormation's wait have run out. */
  deadline: number;
  /** The setup whose validation slot this request holds until `deadline` (freed by the verdict). */
  slotSetupId?: string;
  /**
   * True while the request waits in its organization setup's queue for a slot (slotSetupId names
   * the setup): nothing proves it until the slot is given (docs/architecture.md §9.7).
   */
  queued?: boolean;
  /** When a validator invocation began proving this request (its lease; see leaseProof). */
  proofStartedAt?: string;
}

interface ConnectionBase {
  customerId: string;
  /** Taken from the stack's own ARN (or the legacy registration), never from a property. */
  accountId: string;
  status: ConnectionStatus;
  /** Incremented by every write; every transition is conditional on it. */
  version: number;
  createdAt: string;
  updatedAt: string;
  /** When the connection became REVOKED: only an offer issued after it can connect the account again. */
  revokedAt?: string;
  /**
   * On a connection re-created after a revocation: that revocation's time. Offers issued before it
   * stay refused for good, also once the account is connected again (invariant 9).
   */
  offersValidAfter?: string;
  lastError?: string;
  /**
   * The last CloudFormation requests answered after validation (RequestIds, newest last, bounded),
   * so a late redelivery of one is recognised and neither re-processed nor answered again.
   */
  answeredRequestIds?: string[];
}

/** How many answered RequestIds a connection remembers. */
export const ANSWERED_REQUESTS_KEPT = 10;

/** The remembered RequestIds once `requestId` has been answered. */
export function withAnsweredRequest(answered: readonly string[] | undefined, requestId: string): string[] {
  return [...(answered ?? []), requestId].slice(-ANSWERED_REQUESTS_KEPT);
}

/** A connection reached by assuming the customer's role with the External ID. */
export interface RoleConnection extends ConnectionBase {
  authMethod: 'ROLE';
  roleArn: string;
  externalId: string;
  /** The stack the connection was registered (and proven) through; none for the API or Terraform. */
  stackId?: string;
  /** Absent on connections recorded before sources were: CloudFormation. */
  source?: ConnectionSource;
  setupId?: string;
  validatedAt?: string;
  pendingAnswer?: PendingCloudFormationAnswer;
  /** During an External ID rotation: the new ID, switched in only once validation proves it. */
  pendingExternalId?: string;
  /** During an Update: the role to prove before it replaces `roleArn`. */
  pendingRoleArn?: string;
  /**
   * The setup whose External ID the pending candidate brought (a rotation or a migration): marked
   * USED, and recorded as `setupId`, in the same transaction that switches the proven ID in.
   */
  pendingSetupId?: string;
  /** The template version the stack reported (its TemplateVersion property), once proven. */
  templateVersion?: string;
  /** During an Update that brings a new template version: recorded once the Update is proven. */
  pendingTemplateVersion?: string;
  /** The newest template version the customer was told of (`Template Upgrade Available`, once per version). */
  upgradeNotifiedVersion?: string;
  /** The last permission check (docs/architecture.md §9.4): what the role cannot do, and why. */
  permissions?: ConnectionPermissions;
  /** Through an organization setup: the organization the account was proven a member of (§9.7). */
  organizationId?: string;
}

/** A permission check's findings, as the connection keeps them. */
export interface ConnectionPermissions {
  checkedAt: string;
  missing: { action: string; layer: string }[];
  optionalMissing: { action: string; layer: string }[];
  unchecked?: string;
  /** Probed actions whose call told nothing this time (docs/architecture.md §9.4). */
  unprobed?: string[];
}

/**
 * A candidate waiting for validation: recorded by the registration callback, and removed together
 * once the validator settles it or the connection is revoked.
 */
export const PENDING_FIELDS = [
  'pendingAnswer',
  'pendingRoleArn',
  'pendingExternalId',
  'pendingSetupId',
  'pendingTemplateVersion',
] as const;

/** Migration phase 2: a customer still on access keys. Only a Secrets Manager reference is kept. */
export interface LegacyConnection extends ConnectionBase {
  authMethod: 'ACCESS_KEYS';
  /** Name or ARN of the Secrets Manager secret holding the keys; never the keys themselves. */
  secretRef: string;
  lastRemindedAt?: string;
}

export type Connection = RoleConnection | LegacyConnection;

/** What the credential broker needs on every vend: small, projected, strongly consistent. */
export interface ConnectionAccess {
  customerId: string;
  accountId: string;
  status: ConnectionStatus;
  authMethod: AuthMethod;
  roleArn?: string;
  externalId?: string;
  secretRef?: string;
  version: number;
  createdAt: string;
}

/** The CloudFormation answer a pending request owes, or undefined when it owes none (API, Terraform). */
export function cloudFormationTargetOf(pending: PendingCloudFormationAnswer) {
  const { responseUrl, stackId, logicalResourceId, physicalResourceId, requestId } = pending;
  return responseUrl && stackId && logicalResourceId && physicalResourceId
    ? { responseUrl, stackId, logicalResourceId, physicalResourceId, requestId }
    : undefined;
}

/** How a connection was registered: CloudFormation unless it says otherwise. */
export const sourceOf = (connection: Connection): ConnectionSource =>
  connection.authMethod === 'ROLE' ? (connection.source ?? 'cloudformation') : 'cloudformation';
