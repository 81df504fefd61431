/**
 * Which layer of AWS's policy evaluation keeps a role from an action, from what AWS lets the caller
 * know (docs/architecture.md §9.4): the policy simulator's decision with its Organizations and
 * permissions-boundary details, or the wording of an AccessDenied message. Pure code.
 */

/** Where a denial comes from, as far as AWS tells; `unknown` when it does not. */
export type DenialLayer =
  | 'scp-deny'
  | 'scp-no-allow'
  | 'rcp-deny'
  | 'resource-policy-deny'
  | 'boundary-deny'
  | 'boundary-no-allow'
  | 'identity-deny'
  | 'identity-no-allow'
  | 'unknown';

/**
 * The layers only a real call can show: IAM's policy simulator has no input for resource control
 * policies, and evaluates a resource-based policy only when the caller passes one (Keyless passes
 * none). A probe's denial in one of these is news the simulator could not have given.
 */
export const UNSIMULATED_LAYERS: ReadonlySet<DenialLayer> = new Set(['rcp-deny', 'resource-policy-deny']);

/** One simulated action on one resource, as SimulatePrincipalPolicy reports it. */
export interface SimulatedDecision {
  decision: 'allowed' | 'explicitDeny' | 'implicitDeny';
  /** Absent when the account is in no organization. */
  allowedByOrganizations?: boolean | undefined;
  /** Absent when the role has no permissions boundary. */
  allowedByPermissionsBoundary?: boolean | undefined;
  /** Context keys the policies needed and the simulation lacked: the decision may not hold. */
  missingContextValues?: readonly string[] | undefined;
}

/** The layer behind a simulated denial, or undefined when the action is allowed. */
export function layerOf(result: SimulatedDecision): DenialLayer | undefined {
  if (result.decision === 'allowed') return undefined;
  const explicit = result.decision === 'explicitDeny';
  if (result.allowedByOrganizations === false) return explicit ? 'scp-deny' : 'scp-no-allow';
  if (result.allowedByPermissionsBoundary === false) return explicit ? 'boundary-deny' : 'boundary-no-allow';
  if (explicit) return 'identity-deny';
  return (result.missingContextValues?.length ?? 0) > 0 ? 'unknown' : 'identity-no-allow';
}

/**
 * The layer an AccessDenied message names. Since 2021 AWS adds the policy type to the message of a
 * request in the same account or organization ("with an explicit deny in a service control policy",
 * "… in a resource control policy", "… in a resource-based policy", "because no identity-based
 * policy allows the … action"), and lately the denying policy's ARN after it; when several types
 * deny, it names one (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 */
export function layerOfAccessDenied(message: string): DenialLayer {
  const text = message.toLowerCase();
  if (text.includes('explicit deny in a service control policy')) return 'scp-deny';
  if (text.includes('no service control policy allows')) return 'scp-no-allow';
  if (text.includes('explicit deny in a resource control policy')) return 'rcp-deny';
  if (text.includes('explicit deny in a resource-based policy')) return 'resource-policy-deny';
  if (text.includes('explicit deny in a permissions boundary')) return 'boundary-deny';
  if (text.includes('no permissions boundary allows')) return 'boundary-no-allow';
  if (text.includes('explicit deny in an identity-based policy')) return 'identity-deny';
  if (text.includes('no identity-based policy allows')) return 'identity-no-allow';
  return 'unknown';
}

/** How the customer reads a layer: what denies, and what to do about it. */
export const LAYER_WORDS: Record<DenialLayer, { denial: string; fix: (role: string) => string }> = {
  'scp-deny': {
    denial: 'denied by a service control policy in this account',
    fix: (role) => `ask your AWS administrator to allow it for role ${role}`,
  },
  'scp-no-allow': {
    denial: "not allowed by this account's service control policies",
    fix: (role) => `ask your AWS administrator to allow it for role ${role}`,
  },
  'rcp-deny': {
    denial: 'denied by a resource control policy of your organization',
    fix: (role) => `ask your AWS administrator to allow it for role ${role} in the resource control policy`,
  },
  'resource-policy-deny': {
    denial: "denied by the resource's own resource-based policy",
    fix: (role) => `remove that Deny for role ${role} from the resource's policy`,
  },
  'boundary-deny': {
    denial: "denied by the role's permissions boundary",
    fix: (role) => `remove the deny from the permissions boundary of role ${role}, or remove the boundary`,
  },
  'boundary-no-allow': {
    denial: "not allowed by the role's permissions boundary",
    fix: (role) => `allow it in the permissions boundary of role ${role}, or remove the boundary`,
  },
  'identity-deny': {
    denial: "denied by one of the role's own policies",
    fix: (role) => `remove that Deny from role ${role}, or update the stack to restore its policies`,
  },
  'identity-no-allow': {
    denial: "not granted by any of the role's policies",
    fix: (role) => `update the stack to restore the policies of role ${role}`,
  },
  unknown: {
    denial: 'denied for a reason AWS does not name',
    fix: (role) => `check the policies that apply to role ${role}`,
  },
};
