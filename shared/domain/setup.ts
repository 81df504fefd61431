/** A setup is the onboarding offer: an External ID a customer's stack must bring back before it expires. */

export const SETUP_STATUSES = ['OPEN', 'USED', 'EXPIRED'] as const;
export type SetupStatus = (typeof SETUP_STATUSES)[number];

/** What a setup onboards: one account (its launch link), or every account of an organization. */
export const SETUP_SCOPES = ['account', 'organization'] as const;
export type SetupScope = (typeof SETUP_SCOPES)[number];

export interface Setup {
  customerId: string;
  setupId: string;
  externalId: string;
  status: SetupStatus;
  createdAt: string;
  expiresAt: string;
  region?: string;
  customerName?: string;
  /** Set when the setup rotates the External ID of an existing connection. */
  rotatesAccountId?: string;
  /** `organization`: a StackSet's setup (docs/architecture.md §9.7); absent: one account's. */
  scope?: SetupScope;
  /**
   * The organization an organization setup serves: named at creation, or bound by the first
   * account proven a member. Every account registering through it must be proven a member.
   */
  organizationId?: string;
  /**
   * The registrations of this setup awaiting validation: account id → epoch ms at which the slot
   * frees itself (the pending answer's deadline) if no verdict frees it first. Bounded by the
   * pending-registration cap (docs/architecture.md §6, invariant 10).
   */
  pendingValidations?: Record<string, number>;
  /**
   * Organization setups only: registrations recorded while every slot was taken, waiting for one
   * (account id → the pending answer's deadline). A verdict that frees a slot gives it to the
   * earliest deadline here (docs/architecture.md §9.7, invariant 10).
   */
  queuedValidations?: Record<string, number>;
  /**
   * Incremented by every slot claim and every queue entry, each conditional on it, so concurrent
   * claims are serialised.
   */
  slotVersion?: number;
}

/** The accounts whose registration through `setup` still awaits validation at `now`. */
export function pendingValidationsOf(setup: Setup, now: Date): string[] {
  return Object.entries(setup.pendingValidations ?? {})
    .filter(([, until]) => until > now.getTime())
    .map(([accountId]) => accountId);
}

/** The accounts waiting in `setup`'s queue whose deadline has not passed, earliest deadline first. */
export function queuedValidationsOf(setup: Setup, now: Date): string[] {
  return Object.entries(setup.queuedValidations ?? {})
    .filter(([, until]) => until > now.getTime())
    .sort(([a, x], [b, y]) => x - y || a.localeCompare(b))
    .map(([accountId]) => accountId);
}

/**
 * A setup accepts callbacks while it is not expired. An onboarding setup stays usable after its
 * first registration (USED) so StackSet instances in other accounts or regions can register with
 * the same External ID. A rotation setup is single-use: once its External ID has been switched in
 * (USED), replaying it cannot re-open a rotation of that account.
 */
export function isSetupAcceptingCallbacks(setup: Setup, now: Date): boolean {
  if (setup.rotatesAccountId !== undefined && setup.status === 'USED') return false;
  if (setup.status === 'EXPIRED') return false;
  return Date.parse(setup.expiresAt) > now.getTime() || outlivesItsExpiry(setup);
}

/**
 * An organization setup bound to its organization accepts accounts after `expiresAt`: a StackSet
 * deploys to each account that joins, at any time, and each one is proven a member before it is
 * connected (docs/architecture.md §9.7). Unbound, it expires like any setup: nothing would tie a
 * late registration to the customer's organization.
 */
export function outlivesItsExpiry(setup: Setup): boolean {
  return setup.scope === 'organization' && setup.organizationId !== undefined;
}
