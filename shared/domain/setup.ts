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
