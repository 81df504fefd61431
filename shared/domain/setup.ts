/** A setup is the onboarding offer: an External ID a customer's stack must bring back before it expires. */

export const SETUP_STATUSES = ['OPEN', 'USED', 'EXPIRED'] as const;
export type SetupStatus = (typeof SETUP_STATUSES)[number];

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
  /**
   * The registrations of this setup awaiting validation: account id → epoch ms at which the slot
   * frees itself (the pending answer's deadline) if no verdict frees it first. Bounded by the
   * pending-registration cap (docs/architecture.md §6, invariant 10).
   */
  pendingValidations?: Record<string, number>;
  /** Incremented by every slot claim, which is conditional on it, so concurrent claims are serialised. */
  slotVersion?: number;
}

/** The accounts whose registration through `setup` still awaits validation at `now`. */
export function pendingValidationsOf(setup: Setup, now: Date): string[] {
  return Object.entries(setup.pendingValidations ?? {})
    .filter(([, until]) => until > now.getTime())
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
  return setup.status !== 'EXPIRED' && Date.parse(setup.expiresAt) > now.getTime();
}
