/**
 * How much unproven work may wait for the validator at once (docs/architecture.md §6, invariant
 * 10), and how the organization setups' share follows from the validator's reserved concurrency.
 */

/** How many registrations may await validation at once. */
export interface PendingCaps {
  /** Through one account setup (its launch link). */
  perSetup: number;
  /** Through all of one customer's account setups together. */
  perCustomer: number;
  /**
   * Through one customer's organization setups together (docs/architecture.md §9.7); a registration
   * beyond it waits in its setup's queue instead of being refused.
   */
  perOrganization: number;
  /** How many registrations one organization setup's queue holds; beyond it they are refused. */
  organizationQueue: number;
}

/** The validator's reserved concurrency when the deployment settings name none. */
export const DEFAULT_VALIDATOR_RESERVED_CONCURRENCY = 50;

/**
 * The smallest organization share a deployment may have: at 16 proofs at once, of about 10 s each
 * (a new role's trust propagating), 1,000 accounts registering together are all proven within
 * about 625 s, inside the 810 s the default 900 s ServiceTimeout leaves for the answer.
 */
export const MIN_ORGANIZATION_PENDING_CAP = 16;

/**
 * A queue entry is about 25 bytes of the setup item, which DynamoDB caps at 400 KB and bills by
 * its size on every write: 2,000 entries keep it near 50 KB.
 */
export const ORGANIZATION_QUEUE_CAP = 2_000;

const ACCOUNT_CAPS = { perSetup: 5, perCustomer: 8 } as const;

/**
 * The organization share of a validator with `reservedConcurrency` executions: all of them but
 * two customers' account-setup caps, so one customer (its organization rollout and its own launch
 * links together) still leaves another customer's launch links a full cap.
 */
export function organizationPendingCap(reservedConcurrency: number): number {
  return reservedConcurrency - 2 * ACCOUNT_CAPS.perCustomer;
}

/** The smallest validator reserved concurrency whose organization share is large enough. */
export const MIN_VALIDATOR_RESERVED_CONCURRENCY = MIN_ORGANIZATION_PENDING_CAP + 2 * ACCOUNT_CAPS.perCustomer;

/** Why `reservedConcurrency` is too small for the validator, or undefined when it is large enough. */
export function validatorConcurrencyProblem(reservedConcurrency: number): string | undefined {
  if (reservedConcurrency >= MIN_VALIDATOR_RESERVED_CONCURRENCY) return undefined;
  return `must be at least ${MIN_VALIDATOR_RESERVED_CONCURRENCY}: ${2 * ACCOUNT_CAPS.perCustomer} executions stay free for customers' launch links and at least ${MIN_ORGANIZATION_PENDING_CAP} prove an organization's accounts (docs/architecture.md §9.7)`;
}

/** The caps of a validator with `reservedConcurrency` executions. */
export function pendingCapsFor(reservedConcurrency: number): PendingCaps {
  return {
    ...ACCOUNT_CAPS,
    perOrganization: Math.max(1, organizationPendingCap(reservedConcurrency)),
    organizationQueue: ORGANIZATION_QUEUE_CAP,
  };
}

/**
 * Defaults: enough for a StackSet rolling out a few accounts at a time through a launch link, an
 * organization's share sized to the default validator, both below its reserved concurrency, so one
 * offer, or one customer, can never occupy every validation.
 */
export const DEFAULT_PENDING_CAPS: PendingCaps = pendingCapsFor(DEFAULT_VALIDATOR_RESERVED_CONCURRENCY);
