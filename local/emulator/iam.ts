/**
 * The local IAM: what a simulated customer account adds to its roles' own policies — an
 * organization's service control policies and each role's permissions boundary — and
 * SimulatePrincipalPolicy, answered as AWS answers it (docs/architecture.md §8, §9.4).
 *
 * Fidelity: the simulator evaluates the role's identity policies, its permissions boundary and the
 * account's SCPs, and nothing else: no resource control policies and no resource policies, which
 * the real SimulatePrincipalPolicy does not see either (it has no input for RCPs, and takes a
 * resource policy only when the caller passes one). It reports `OrganizationsDecisionDetail` only
 * for an account in an organization and `PermissionsBoundaryDecisionDetail` only for a role with a
 * boundary, as AWS does. The call itself is authorized like any call of the session: the role's
 * policies, its boundary and the SCPs must allow iam:SimulatePrincipalPolicy on the role.
 *
 * Organizations: an account belongs to an organization by `setOrganization` (or, with only an SCP
 * set, to a local one), and DescribeOrganization answers the calling session's organization as AWS
 * does: AWSOrganizationsNotInUseException for an account in none, AccessDeniedException when the
 * session's policies or the SCPs do not allow the call (docs/architecture.md §9.7).
 *
 * `@cloud-copilot/iam-simulate` (AGPL) is the engine, as for the local STS: never in a bundle.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { type LocalSts, type PolicyDocument, type StsCaller, StsError } from './sts.ts';

/** AWS's default SCP, attached to the root and to every account of an organization. */
const FULL_AWS_ACCESS: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

/** The organization of an account given SCPs but no organization of its own. */
export const LOCAL_SCP_ORGANIZATION = 'o-keylesslocal';
/** The local management account of an organization: one per organization id, never a member's id. */
export const localManagementAccountOf = (organizationId: string) =>
  `9${[...organizationId].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) % 1e11, 7)}`.padEnd(12, '0');

/** An Organizations error, in the JSON protocol's `__type` words. */
export class OrganizationsError extends Error {
  constructor(
    readonly type: 'AWSOrganizationsNotInUseException' | 'AccessDeniedException',
    message: string,
  ) {
    super(message);
  }
}

interface IamState {
  /** Per account in an organization: the SCPs attached to the account itself (besides FullAWSAccess). */
  organizations: Record<string, Record<string, PolicyDocument>>;
  /** Per account: the organization it is a member of. */
  memberships?: Record<string, string>;
  /** Per role ARN: its permissions boundary. */
  boundaries: Record<string, PolicyDocument>;
}

export interface SimulateInput {
  PolicySourceArn: string;
  ActionNames: string[];
  ResourceArns: string[];
  ContextEntries: { ContextKeyName: string; ContextKeyValues: string[] }[];
}

type Decision = 'allowed' | 'explicitDeny' | 'implicitDeny';

export type LocalIam = ReturnType<typeof createLocalIam>;

export function createLocalIam({ sts, persistPath }: { sts: LocalSts; persistPath?: string | undefined }) {
  const state: IamState = load(persistPath);
  const persist = () => {
    if (persistPath) writeFileSync(persistPath, JSON.stringify(state, null, 2));
  };

  const memberships = () => {
    state.memberships ??= {};
    return state.memberships;
  };
  /** The organization of an account, if any. */
  const organizationOf = (accountId: string): string | undefined =>
    memberships()[accountId] ?? (state.organizations[accountId] ? LOCAL_SCP_ORGANIZATION : undefined);

  /** The SCPs of an account, root first, as the engine takes them; none outside an organization. */
  function serviceControlPolicies(accountId: string) {
    if (!organizationOf(accountId)) return [];
    const own = state.organizations[accountId] ?? {};
    return [
      { orgIdentifier: 'r-local', policies: [{ name: 'FullAWSAccess', policy: FULL_AWS_ACCESS }] },
      {
        orgIdentifier: accountId,
        policies: [
          { name: 'FullAWSAccess', policy: FULL_AWS_ACCESS },
          ...Object.entries(own).map(([name, policy]) => ({ name, policy })),
        ],
      },
    ];
  }

  /** One engine run: the overall result, and its analysis when the engine gives one. */
  async function run(
    roleArn: string,
    accountId: string,
    layers: {
      identity: Record<string, PolicyDocument>;
      scps: ReturnType<typeof serviceControlPolicies>;
      boundary: PolicyDocument | undefined;
    },
    action: string,
    resource: string,
    context: Record<string, string | string[]>,
  ) {
    const result = await runSimulation(
      {
        request: { principal: roleArn, action, resource: { resource, accountId }, contextVariables: context },
        identityPolicies: Object.entries(layers.identity).map(([name, policy]) => ({ name, policy })),
        serviceControlPolicies: layers.scps,
        resourceControlPolicies: [],
        ...(layers.boundary
          ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: layers.boundary }] }
          : {}),
      },
      {},
    );
    if (result.resultType === 'error') {
      // AWS matches patterns only, so an action asked about another service's resource is simply
      // decided by the policies; the engine refuses the pair instead. No policy Keyless checks
      // grants across services, and the checker reads only each action's own resources: the pair is
      // reported not allowed. Any other engine error is the caller's bad input.
      if (result.errors.message === 'no.resource.types')
        return { overall: 'ImplicitlyDenied' as const, analysis: undefined, applicable: false };
      throw new StsError('ValidationError', `Cannot simulate ${action}: ${result.errors.message}`);
    }
    const analysis = result.resultType === 'single' ? result.result.analysis : result.results[0]?.analysis;
    return { overall: result.overallResult, analysis, applicable: true };
  }

  /**
   * The decision on one action and resource, and which guardrail (SCPs, boundary) allows it on its
   * own: each guardrail is evaluated against an identity that allows everything, as AWS reports
   * `AllowedByOrganizations` and `AllowedByPermissionsBoundary` independently of the role's policies.
   */
  async function evaluate(
    roleArn: string,
    accountId: string,
    identityPolicies: Record<string, PolicyDocument>,
    action: string,
    resource: string,
    context: Record<string, string | string[]>,
  ) {
    const boundary = state.boundaries[roleArn];
    const scps = serviceControlPolicies(accountId);
    const everything = { everything: FULL_AWS_ACCESS };
    const full = await run(
      roleArn,
      accountId,
      { identity: identityPolicies, scps, boundary },
      action,
      resource,
      context,
    );
    const decision: Decision =
      full.overall === 'Allowed'
        ? 'allowed'
        : full.overall === 'ExplicitlyDenied'
          ? 'explicitDeny'
          : 'implicitDeny';
    const inOrganization = scps.length > 0;
    const allowedByOrganizations = inOrganization
      ? (
          await run(
            roleArn,
            accountId,
            { identity: everything, scps, boundary: undefined },
            action,
            resource,
            context,
          )
        ).overall === 'Allowed'
      : true;
    const allowedByPermissionsBoundary = boundary
      ? (
          await run(
            roleArn,
            accountId,
            { identity: everything, scps: [], boundary },
            action,
            resource,
            context,
          )
        ).overall === 'Allowed'
      : true;
    return {
      decision,
      /** False for an action asked about another service's resource (see `run`). */
      applicable: full.applicable,
      inOrganization,
      allowedByOrganizations,
      hasBoundary: boundary !== undefined,
      allowedByPermissionsBoundary,
      matched: [
        ...(full.analysis?.identityAnalysis?.denyStatements ?? []),
        ...(decision === 'allowed' ? (full.analysis?.identityAnalysis?.allowStatements ?? []) : []),
      ].map((statement) => statement.policyId),
    };
  }

  /** The AccessDenied AWS answers a call of a session with, naming the layer that denied. */
  function accessDenied(
    caller: StsCaller,
    action: string,
    resource: string,
    why: Awaited<ReturnType<typeof evaluate>>,
  ) {
    const reason = !why.allowedByOrganizations
      ? why.decision === 'explicitDeny'
        ? 'with an explicit deny in a service control policy'
        : `because no service control policy allows the ${action} action`
      : !why.allowedByPermissionsBoundary
        ? why.decision === 'explicitDeny'
          ? 'with an explicit deny in a permissions boundary'
          : `because no permissions boundary allows the ${action} action`
        : why.decision === 'explicitDeny'
          ? 'with an explicit deny in an identity-based policy'
          : `because no identity-based policy allows the ${action} action`;
    return new StsError(
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} ${reason}`,
      403,
    );
  }

  /** Whether the session `caller` may take `action` on `resource`: throws AccessDenied as AWS would. */
  async function authorize(caller: StsCaller, action: string, resource: string): Promise<void> {
    const why = await evaluate(
      caller.principalArn,
      caller.accountId,
      caller.identityPolicies,
      action,
      resource,
      {
        'aws:PrincipalArn': caller.principalArn,
        'aws:PrincipalAccount': caller.accountId,
      },
    );
    if (why.decision !== 'allowed') throw accessDenied(caller, action, resource, why);
  }

  let simulateCalls = 0;

  async function simulatePrincipalPolicy(caller: StsCaller, input: SimulateInput) {
    simulateCalls += 1;
    await authorize(caller, 'iam:SimulatePrincipalPolicy', input.PolicySourceArn);
    const role = sts.getRole(input.PolicySourceArn);
    if (!role) {
      throw new StsError(
        'NoSuchEntity',
        `The role with name ${input.PolicySourceArn.split('/').pop()} cannot be found.`,
        404,
      );
    }
    const context: Record<string, string | string[]> = {
      'aws:PrincipalArn': role.arn,
      'aws:PrincipalAccount': role.accountId,
    };
    for (const entry of input.ContextEntries) {
      context[entry.ContextKeyName] =
        entry.ContextKeyValues.length === 1 ? (entry.ContextKeyValues[0] as string) : entry.ContextKeyValues;
    }
    const resources = input.ResourceArns.length > 0 ? input.ResourceArns : ['*'];
    const order: Record<Decision, number> = { allowed: 0, implicitDeny: 1, explicitDeny: 2 };
    const EvaluationResults = [];
    for (const action of input.ActionNames) {
      const perResource = [];
      for (const resource of resources) {
        perResource.push({
          resource,
          ...(await evaluate(role.arn, role.accountId, role.policies, action, concrete(resource), context)),
        });
      }
      // The summary is over the resources the action applies to (all of them when none does).
      const applicable = perResource.some((r) => r.applicable)
        ? perResource.filter((r) => r.applicable)
        : perResource;
      const worst = applicable.reduce((a, b) => (order[b.decision] > order[a.decision] ? b : a));
      EvaluationResults.push({
        EvalActionName: action,
        EvalResourceName: resources.length === 1 ? resources[0] : '*',
        EvalDecision: worst.decision,
        MatchedStatements: worst.matched.map((id) => ({ SourcePolicyId: id, SourcePolicyType: 'role' })),
        MissingContextValues: [],
        ...(worst.inOrganization
          ? {
              OrganizationsDecisionDetail: {
                AllowedByOrganizations: applicable.every((r) => r.allowedByOrganizations),
              },
            }
          : {}),
        ...(worst.hasBoundary
          ? {
              PermissionsBoundaryDecisionDetail: {
                AllowedByPermissionsBoundary: worst.allowedByPermissionsBoundary,
              },
            }
          : {}),
        ResourceSpecificResults: perResource.map((r) => ({
          EvalResourceName: r.resource,
          EvalResourceDecision: r.decision,
          MatchedStatements: r.matched.map((id) => ({ SourcePolicyId: id, SourcePolicyType: 'role' })),
          MissingContextValues: [],
          ...(r.hasBoundary
            ? {
                PermissionsBoundaryDecisionDetail: {
                  AllowedByPermissionsBoundary: r.allowedByPermissionsBoundary,
                },
              }
            : {}),
        })),
      });
    }
    return { EvaluationResults, IsTruncated: false };
  }

  /** DescribeOrganization for the calling session's account, as any member account may call it. */
  async function describeOrganization(caller: StsCaller) {
    try {
      await authorize(caller, 'organizations:DescribeOrganization', '*');
    } catch (error) {
      if (error instanceof StsError && error.code === 'AccessDenied')
        throw new OrganizationsError('AccessDeniedException', error.message);
      throw error;
    }
    const id = organizationOf(caller.accountId);
    if (!id) {
      throw new OrganizationsError(
        'AWSOrganizationsNotInUseException',
        'Your account is not a member of an organization.',
      );
    }
    const managementAccountId = localManagementAccountOf(id);
    return {
      Organization: {
        Id: id,
        Arn: `arn:aws:organizations::${managementAccountId}:organization/${id}`,
        FeatureSet: 'ALL',
        MasterAccountArn: `arn:aws:organizations::${managementAccountId}:account/${id}/${managementAccountId}`,
        MasterAccountId: managementAccountId,
        MasterAccountEmail: `management@${id}.example.com`,
      },
    };
  }

  return {
    authorize,
    simulatePrincipalPolicy,
    describeOrganization,
    /** Puts the account in `organizationId`, or (undefined) takes it out of any. */
    setOrganization(accountId: string, organizationId: string | undefined) {
      if (organizationId) memberships()[accountId] = organizationId;
      else delete memberships()[accountId];
      persist();
    },
    organizationOf,
    /** Puts the account in an organization whose SCP denies `actions`; an empty list takes the SCP away. */
    setDenyingScp(accountId: string, actions: readonly string[]) {
      if (actions.length === 0) delete state.organizations[accountId];
      else
        state.organizations[accountId] = {
          'keyless-local-deny': {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Deny', Action: [...actions], Resource: '*' }],
          },
        };
      persist();
    },
    setPermissionsBoundary(roleArn: string, boundary: PolicyDocument | undefined) {
      if (boundary) state.boundaries[roleArn] = boundary;
      else delete state.boundaries[roleArn];
      persist();
    },
    guardrails: (accountId: string) => state.organizations[accountId],
    /** How many SimulatePrincipalPolicy calls were made (a check should make one). */
    simulateCalls: () => simulateCalls,
  };
}

/**
 * A resource the simulator is asked about, as one resource: AWS matches the policies' patterns
 * against the resource string as given, so `parameter/*` stands for some parameter, not for all of
 * them. The engine would instead expand a wildcard into every pattern the policies name, so each
 * `*` becomes a concrete value (the region one of the partition's regions).
 */
export function concrete(resource: string): string {
  if (resource === '*') return resource;
  const parts = resource.split(':');
  if (parts[3] === '*') parts[3] = 'us-east-1';
  return parts.join(':').replaceAll('*', 'keyless-check');
}

function load(persistPath: string | undefined): IamState {
  if (!persistPath) return { organizations: {}, boundaries: {} };
  try {
    return JSON.parse(readFileSync(persistPath, 'utf8')) as IamState;
  } catch {
    return { organizations: {}, boundaries: {} };
  }
}
