/**
 * Proof of membership for organization setups (docs/architecture.md §9.7): after the trust is
 * proven, the validator asks, in the role's own session, which organization the account belongs
 * to (organizations:DescribeOrganization, which any member account may call; the template grants
 * it and nothing else of Organizations). The answer must be the setup's organization; a setup that
 * named none is bound to the organization of its first proven member. An account of another
 * organization, or of none, is refused with a reason the customer can act on.
 */
import type { Credentials } from '@aws-sdk/client-sts';
import { sleep as defaultSleep } from '../backoff.ts';
import type { DescribeOrganization, OrganizationLookup } from '../clients/organizations.ts';
import type { ProofResult } from './role-proof.ts';

export interface MembershipInput {
  accountId: string;
  /** The setup's organization; undefined while the setup is unbound. */
  organizationId: string | undefined;
  credentials: Credentials;
  /** Epoch ms by which the check must be settled. */
  deadline: number;
  /** Binds an unbound setup to `organizationId`: false when another organization bound it first. */
  bind: (organizationId: string) => Promise<{ bound: boolean; boundTo?: string | undefined }>;
}

export type MembershipResult =
  | { ok: true; organizationId: string }
  /**
   * `nonMember`: the account is proven outside the organization (another one, or none), so nothing
   * but the audit line is kept of it (docs/architecture.md §9.7); otherwise membership is unconfirmed.
   */
  | { ok: false; proof: ProofResult & { ok: false }; nonMember: boolean };

export interface MembershipCheckerOptions {
  describeOrganization: DescribeOrganization;
  /** Attempts for an AccessDenied (the new inline policy may still propagate) or an outage. */
  maxAttempts?: number;
  baseDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type MembershipChecker = ReturnType<typeof createMembershipChecker>;

const refuse = (
  reason: string,
  { conclusive = true, nonMember = false }: { conclusive?: boolean; nonMember?: boolean } = {},
): MembershipResult => ({
  ok: false,
  proof: {
    ok: false,
    conclusive,
    failureClass: conclusive ? 'not-in-organization' : 'unconfirmed',
    reason,
  },
  nonMember,
});
const nonMember = { nonMember: true };

export function createMembershipChecker({
  describeOrganization,
  maxAttempts = 4,
  baseDelayMs = 1_000,
  now = Date.now,
  sleep = defaultSleep,
}: MembershipCheckerOptions) {
  /** The lookup, retried on AccessDenied and outages within the attempt budget and the deadline. */
  async function lookUp(credentials: Credentials, deadline: number): Promise<OrganizationLookup> {
    let lookup: OrganizationLookup = { kind: 'unavailable', message: 'not attempted' };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      lookup = await describeOrganization(credentials);
      if (lookup.kind === 'member' || lookup.kind === 'not-in-organization') return lookup;
      const delay = baseDelayMs * 2 ** (attempt - 1);
      if (attempt === maxAttempts || now() + delay >= deadline) break;
      await sleep(delay);
    }
    return lookup;
  }

  return {
    async check({ accountId, organizationId, credentials, deadline, bind }: MembershipInput) {
      const lookup = await lookUp(credentials, deadline);
      const expected = organizationId ? `organization ${organizationId}` : 'an AWS organization';
      if (lookup.kind === 'not-in-organization') {
        return refuse(
          `Account ${accountId} is not a member of ${expected}: it belongs to no organization. This launch link onboards only the accounts of the organization it was issued for.`,
          nonMember,
        );
      }
      if (lookup.kind === 'denied') {
        return refuse(
          `Keyless could not confirm that account ${accountId} is a member of ${expected}: the role may not call organizations:DescribeOrganization (${lookup.message}). Deploy the template of your launch link unchanged, and allow that action in your service control policies.`,
        );
      }
      if (lookup.kind === 'unavailable') {
        return refuse(
          `Keyless could not confirm that account ${accountId} is a member of ${expected} (${lookup.message}): retry the stack.`,
          { conclusive: false },
        );
      }
      if (organizationId !== undefined && lookup.organizationId !== organizationId) {
        return refuse(
          `Account ${accountId} is not a member of organization ${organizationId} (it belongs to ${lookup.organizationId}): this launch link onboards only the accounts of ${organizationId}.`,
          nonMember,
        );
      }
      if (organizationId === undefined) {
        const { bound, boundTo } = await bind(lookup.organizationId);
        if (!bound) {
          return refuse(
            `Account ${accountId} is not a member of organization ${boundTo ?? 'the one this setup serves'} (it belongs to ${lookup.organizationId}): this launch link onboards only the accounts of the organization its first account belongs to.`,
            nonMember,
          );
        }
      }
      return { ok: true, organizationId: lookup.organizationId } as MembershipResult;
    },
  };
}
