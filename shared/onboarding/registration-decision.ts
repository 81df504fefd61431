/**
 * What a custom-resource Create or Update should do, decided from what the table holds: a pure
 * function from the stored connection, the customer's setups, the links and the request to a
 * plan, so every rule of docs/architecture.md §6 (invariants 2, 4, 9 and 10) is tested case by
 * case without DynamoDB. `registration.ts` reads the facts and carries the plan out.
 */
import { type Connection, type ConnectionSource, sourceOf } from '../domain/connection.ts';
import { outlivesItsExpiry, pendingValidationsOf, queuedValidationsOf, type Setup } from '../domain/setup.ts';
import { LinkConflictError } from '../errors.ts';
import type { RoleLink, StackLink, ValidationSlotClaim } from '../store/connection-store.ts';
import type { PendingCaps } from './pending-caps.ts';
import { secureEquals } from './secure-compare.ts';

export { DEFAULT_PENDING_CAPS, type PendingCaps } from './pending-caps.ts';

export interface RegistrationFacts {
  request: {
    type: 'Create' | 'Update';
    requestId: string;
    /** The stack it came through; none for a registration by API or Terraform. */
    stackId?: string | undefined;
    /** How it came: CloudFormation, the registration API or Terraform (docs/architecture.md §9.6). */
    source?: ConnectionSource | undefined;
    customerId: string;
    /** From the StackId, never from a property. */
    accountId: string;
    roleArn: string;
    externalId: string;
    /** The TemplateVersion the stack reports, when it reports one. */
    templateVersion?: string | undefined;
  };
  existing: Connection | undefined;
  /** The customer's setups not marked EXPIRED, open or not (an expired match is named as such). */
  setups: readonly Setup[];
  roleLink: RoleLink | undefined;
  stackLink: StackLink | undefined;
  caps: PendingCaps;
  /** Epoch ms by which the request must be answered: also when its validation slot frees itself. */
  deadline: number;
  /**
   * The request has lost races for a slot: through an organization setup it takes a place in the
   * queue, which needs no race, and is given a slot by the queue's next drain.
   */
  contended?: boolean;
  now: Date;
}

/** Why validation is needed, as `Role Registered` says it. */
export type RegisteredReason = 'create' | 'update' | 'upgrade' | 'rotation' | 'migration' | 'revalidation';

export type RegistrationPlan =
  /** A redelivery of the request already being validated: publish again, change nothing. */
  | { kind: 'duplicate'; connection: Connection; reason: RegisteredReason }
  /** A late redelivery of a request the validator answered: ignore. */
  | { kind: 'already-answered' }
  /** Answer FAILED now, with a reason the customer can act on. */
  | { kind: 'refuse'; reason: string }
  /** Nothing to prove (unchanged properties, or a second stack of a live connection): answer SUCCESS. */
  | { kind: 'unchanged'; roleArn: string }
  /**
   * A new connection (or one replacing a REVOKED one, with an offer issued after the revocation,
   * whose time the new connection keeps as `offersValidAfter`).
   */
  | { kind: 'create'; setup: Setup; slot: ValidationSlotClaim; offersValidAfter?: string }
  /** A REGISTERED or FAILED connection: the candidate values are replaced. */
  | { kind: 'replace-candidate'; setup: Setup; slot: ValidationSlotClaim }
  /** A connection on access keys brings its role: proven before the keys are dropped. */
  | { kind: 'migrate'; setup: Setup | undefined; slot: ValidationSlotClaim | undefined }
  /**
   * A proven connection brings a change (role, External ID) or a second stack: the proven values
   * keep serving until the validator proves the new ones.
   */
  | {
      kind: 'change-live';
      setup: Setup | undefined;
      slot: ValidationSlotClaim | undefined;
      sameRole: boolean;
      sameId: boolean;
      /** The stack brings another template version: proven like any Update, then recorded. */
      newTemplateVersion: string | undefined;
      reason: RegisteredReason;
    };

export type SetupMatch = { kind: 'open'; setup: Setup } | { kind: 'expired'; setup: Setup };

/**
 * The customer's setup whose External ID equals `externalId`: every candidate is compared in
 * constant time (no early exit), and a rotation setup matches only the account it rotates.
 * Reports an expired match separately, so the customer is told to ask for a new link.
 */
export function matchSetup(
  setups: readonly Setup[],
  externalId: string,
  accountId: string,
  now: Date,
): SetupMatch | undefined {
  let match: Setup | undefined;
  for (const setup of setups) {
    const equal = secureEquals(setup.externalId, externalId);
    const forThisAccount = setup.rotatesAccountId === undefined || setup.rotatesAccountId === accountId;
    if (equal && forThisAccount && (!match || Date.parse(setup.expiresAt) > Date.parse(match.expiresAt)))
      match = setup;
  }
  if (!match) return undefined;
  // A bound organization setup keeps accepting: each account is then proven a member (§9.7).
  const accepting =
    (Date.parse(match.expiresAt) > now.getTime() || outlivesItsExpiry(match)) &&
    match.status !== 'EXPIRED' &&
    !(match.rotatesAccountId !== undefined && match.status === 'USED');
  return accepting ? { kind: 'open', setup: match } : { kind: 'expired', setup: match };
}

const isProven = (connection: Connection | undefined) =>
  connection?.authMethod === 'ROLE' && (connection.status === 'ACTIVE' || connection.status === 'BROKEN');

/** The reason a pending request was registered with (its redelivery, its turn in a queue). */
export function reasonOfPending(existing: Connection, type: 'Create' | 'Update'): RegisteredReason {
  if (existing.authMethod === 'ACCESS_KEYS') return 'migration';
  if (existing.status === 'REGISTERED') return type === 'Create' ? 'create' : 'update';
  if (existing.pendingExternalId) return 'rotation';
  if (existing.pendingRoleArn) return 'update';
  return existing.pendingTemplateVersion ? 'upgrade' : 'revalidation';
}

const isOrganization = (setup: Setup) => setup.scope === 'organization';

/**
 * How many registrations await validation on `setup` and on the customer's setups of its kind
 * (account setups, or organization setups) at `now`, leaving out `accountId`'s own (it is replaced).
 */
function pendingCounts(setups: readonly Setup[], setup: Setup, accountId: string, now: Date) {
  const others = (s: Setup) =>
    pendingValidationsOf(s, now).filter((id) => !(s.setupId === setup.setupId && id === accountId));
  const onThisSetup = others(setup).length;
  const onThisCustomer = setups
    .filter((s) => isOrganization(s) === isOrganization(setup))
    .reduce((sum, s) => sum + (s.setupId === setup.setupId ? onThisSetup : others(s).length), 0);
  return { onThisSetup, onThisCustomer };
}

/** What a claim on `setup` saw and clears: the setup's slot state as read and its expired entries. */
function claimOn(setup: Setup, accountId: string, until: number, now: Date, queued: boolean) {
  const lapsed = (entries: Record<string, number> | undefined, live: string[]) =>
    Object.keys(entries ?? {}).filter((id) => !live.includes(id));
  return {
    setupId: setup.setupId,
    accountId,
    until,
    seen: {
      ...(setup.slotVersion === undefined ? {} : { slotVersion: setup.slotVersion }),
      ...(setup.pendingValidations === undefined ? {} : { pendingValidations: setup.pendingValidations }),
      ...(setup.queuedValidations === undefined ? {} : { queuedValidations: setup.queuedValidations }),
    },
    expired: lapsed(setup.pendingValidations, pendingValidationsOf(setup, now)),
    expiredQueue: lapsed(setup.queuedValidations, queuedValidationsOf(setup, now)),
    ...(queued ? { queued: true } : {}),
  } satisfies ValidationSlotClaim;
}

/**
 * A validation slot on `setup` for this account, a place in an organization setup's queue when
 * every slot is taken, or the refusal that says which cap is full. The customer-wide count adds
 * up the customer's setups of the same kind as read; the per-setup one is exact (the claim is
 * conditional on the setup's slot version).
 */
function slotFor(facts: RegistrationFacts, setup: Setup): ValidationSlotClaim | { refuse: string } {
  const { request, caps, now, setups } = facts;
  const { onThisSetup, onThisCustomer } = pendingCounts(setups, setup, request.accountId, now);
  if (isOrganization(setup)) {
    // An organization's accounts arrive all at once (automatic deployment ignores operation
    // preferences): beyond the cap they wait their turn instead of failing (§9.7).
    const full = facts.contended === true || Math.max(onThisSetup, onThisCustomer) >= caps.perOrganization;
    const waiting = queuedValidationsOf(setup, now).filter((id) => id !== request.accountId).length;
    if (full && waiting >= caps.organizationQueue) {
      return {
        refuse: `This organization setup already has ${waiting} registrations waiting for validation, the most it holds: retry the stack instance once they have finished (within ${Math.ceil((facts.deadline - now.getTime()) / 60_000)} minutes at most).`,
      };
    }
    return claimOn(setup, request.accountId, facts.deadline, now, full);
  }
  if (onThisSetup >= caps.perSetup) {
    return {
      refuse: `This launch link already has ${onThisSetup} registrations awaiting validation, the most it allows at once: retry once they have finished (within ${Math.ceil((facts.deadline - now.getTime()) / 60_000)} minutes at most).`,
    };
  }
  if (onThisCustomer >= caps.perCustomer) {
    return {
      refuse: `Customer ${request.customerId} already has ${onThisCustomer} registrations awaiting validation, the most allowed at once: retry once they have finished.`,
    };
  }
  return claimOn(setup, request.accountId, facts.deadline, now, false);
}

/**
 * The slot an organization setup can give the head of its queue now (the earliest deadline), or
 * undefined when its queue is empty or every slot of the customer's organization setups is taken.
 * `setups` are the customer's setups, `setup` among them as read last.
 */
export function nextInQueue(
  setups: readonly Setup[],
  setup: Setup,
  caps: PendingCaps,
  now: Date,
): ValidationSlotClaim | undefined {
  const [head] = queuedValidationsOf(setup, now);
  if (!isOrganization(setup) || head === undefined) return undefined;
  const current = setups.map((s) => (s.setupId === setup.setupId ? setup : s));
  if (!current.some((s) => s.setupId === setup.setupId)) current.push(setup);
  const { onThisSetup, onThisCustomer } = pendingCounts(current, setup, head, now);
  if (Math.max(onThisSetup, onThisCustomer) >= caps.perOrganization) return undefined;
  return claimOn(setup, head, setup.queuedValidations?.[head] ?? 0, now, false);
}

/** Decides what one Create or Update does; never performs I/O. */
export function decideRegistration(facts: RegistrationFacts): RegistrationPlan {
  const { request, existing, now } = facts;

  const pending = existing && 'pendingAnswer' in existing ? existing.pendingAnswer : undefined;
  if (existing && pending?.requestId === request.requestId && pending.stackId === request.stackId) {
    return { kind: 'duplicate', connection: existing, reason: reasonOfPending(existing, request.type) };
  }
  if (existing?.answeredRequestIds?.includes(request.requestId)) return { kind: 'already-answered' };

  // The connection's own External ID is enough only for a connection that was proven with it;
  // anything else needs an open, unexpired setup (invariant 2).
  const knownId =
    isProven(existing) &&
    existing?.authMethod === 'ROLE' &&
    secureEquals(existing.externalId, request.externalId);
  const match = knownId ? undefined : matchSetup(facts.setups, request.externalId, request.accountId, now);
  if (!knownId && match?.kind !== 'open') {
    return {
      kind: 'refuse',
      reason:
        match?.kind === 'expired'
          ? match.setup.scope === 'organization' && match.setup.status !== 'EXPIRED'
            ? `The organization setup for this External ID expired at ${match.setup.expiresAt} before any account of the organization was connected through it: ask your provider for a new organization setup.`
            : `The setup for this External ID expired at ${match.setup.expiresAt}: ask your provider for a new launch link.`
          : `The External ID does not match an open setup of customer ${request.customerId}: launch the stack from the link your provider issued.`,
    };
  }
  const setup = match?.setup;

  // Revocation is final for every offer issued before it (invariant 9): while the connection is
  // REVOKED, and on the connection re-created after it.
  const revokedAt =
    existing?.status === 'REVOKED' ? (existing.revokedAt ?? existing.updatedAt) : existing?.offersValidAfter;
  if (revokedAt !== undefined && (!setup || setup.createdAt <= revokedAt)) {
    return {
      kind: 'refuse',
      reason: `The connection of account ${request.accountId} was revoked at ${revokedAt}: only a launch link issued after the revocation can connect it again; ask your provider for a new one.`,
    };
  }

  // A stack registers one connection, and a role serves one customer (invariants 4 and 9).
  const ours = (link: { customerId: string; accountId: string } | undefined) =>
    !link || (link.customerId === request.customerId && link.accountId === request.accountId);
  if (request.stackId && !ours(facts.stackLink)) {
    return { kind: 'refuse', reason: new LinkConflictError('stack', request.stackId).message };
  }
  if (!ours(facts.roleLink)) {
    return { kind: 'refuse', reason: new LinkConflictError('role', request.roleArn).message };
  }

  const slot = setup ? slotFor(facts, setup) : undefined;
  if (slot && 'refuse' in slot) return { kind: 'refuse', reason: slot.refuse };

  if (!existing || existing.status === 'REVOKED') {
    return {
      kind: 'create',
      setup: setup!,
      slot: slot!,
      ...(existing && revokedAt !== undefined ? { offersValidAfter: revokedAt } : {}),
    };
  }
  if (existing.authMethod === 'ACCESS_KEYS') {
    if (existing.status !== 'ACTIVE') {
      return {
        kind: 'refuse',
        reason: `The connection of account ${request.accountId} is ${existing.status}; it cannot migrate.`,
      };
    }
    return { kind: 'migrate', setup, slot };
  }
  if (existing.status === 'ACTIVE' || existing.status === 'BROKEN') {
    const sameRole = existing.roleArn === request.roleArn;
    const sameId = secureEquals(existing.externalId, request.externalId);
    // Only the connection's own stack tells which template it runs.
    const newTemplateVersion =
      request.stackId === existing.stackId &&
      request.templateVersion !== undefined &&
      request.templateVersion !== existing.templateVersion
        ? request.templateVersion
        : undefined;
    if (existing.status === 'ACTIVE' && sameRole && sameId && !newTemplateVersion)
      return { kind: 'unchanged', roleArn: existing.roleArn };
    // A proven connection changes only through the stack it was proven with: the StackId of a
    // request is not authenticated, and moving the connection to another stack would let that
    // stack's deletion, not the customer's, decide its revocation.
    const source = request.source ?? 'cloudformation';
    if (request.stackId !== existing.stackId || source !== sourceOf(existing)) {
      return {
        kind: 'refuse',
        reason: existing.stackId
          ? `Account ${request.accountId} is connected through stack ${existing.stackId}: update that stack to change the connection; another stack cannot change it.`
          : `Account ${request.accountId} is connected through ${sourceOf(existing) === 'terraform' ? 'its Terraform module' : 'the registration API'}: change the connection there; ${source === 'cloudformation' ? 'a stack' : 'another channel'} cannot change it.`,
      };
    }
    return {
      kind: 'change-live',
      setup,
      slot,
      sameRole,
      sameId,
      newTemplateVersion,
      reason: !sameId ? 'rotation' : !sameRole ? 'update' : newTemplateVersion ? 'upgrade' : 'revalidation',
    };
  }
  // REGISTERED (another request pending) or FAILED: only through an open setup, checked above.
  return { kind: 'replace-candidate', setup: setup!, slot: slot! };
}
