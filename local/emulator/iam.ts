/**
 * The local IAM: what a simulated customer account adds to its roles' own policies — an
 * organization's service control policies and resource control policies, and each role's
 * permissions boundary — and SimulatePrincipalPolicy, answered as AWS answers it
 * (docs/architecture.md §8, §9.4).
 *
 * Fidelity: the simulator evaluates the role's identity policies, its permissions boundary and the
 * account's SCPs, and nothing else: no resource control policies and no resource policies, which
 * the real SimulatePrincipalPolicy does not see either (it has no input for RCPs, and takes a
 * resource policy only when the caller passes one). It reports `OrganizationsDecisionDetail` only
 * for an account in an organization and `PermissionsBoundaryDecisionDetail` only for a role with a
 * boundary, as AWS does. A real call (`authorize`) is evaluated on every layer, RCPs included for
 * the services RCPs apply to, and is refused with AccessDenied naming one denying layer in AWS's
 * words: an explicit deny before an implicit one. The simulator's own call is authorized like any
 * call of the session: the role's policies, its boundary and the SCPs must allow
 * iam:SimulatePrincipalPolicy on the role.
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

/**
 * The services resource control policies apply to (AWS Organizations, "List of AWS services that
 * support RCPs": https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html):
 * S3, STS, KMS, SQS and Secrets Manager since RCPs launched, then ECR and OpenSearch Serverless,
 * Cognito and CloudWatch Logs, and DynamoDB (2026-02). An RCP has no effect on any other service's
 * resources, so the local one refuses to deny their actions rather than pretend.
 */
export const RCP_SERVICES: ReadonlySet<string> = new Set([
  's3',
  'sts',
  'kms',
  'sqs',
  'secretsmanager',
  'ecr',
  'aoss',
  'cognito-idp',
  'cognito-identity',
  'logs',
  'dynamodb',
]);

/** The organization of an account given SCPs (or RCPs) but no organization of its own. */
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
  /** Per account in an organization: the RCPs attached to the account (besides RCPFullAWSAccess). */
  rcps?: Record<string, Record<string, PolicyDocument>>;
}

type Overall = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

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
  const rcps = () => {
    state.rcps ??= {};
    return state.rcps;
  };
  /** The organization of an account, if any. */
  const organizationOf = (accountId: string): string | undefined =>
    memberships()[accountId] ??
    (state.organizations[accountId] || rcps()[accountId] ? LOCAL_SCP_ORGANIZATION : undefined);

  /** The RCPs over a resource of `action` in the account, root first; none for a service RCPs do not cover. */
  function resourceControlPolicies(accountId: string, action: string) {
    const own = rcps()[accountId];
    if (!own || !organizationOf(accountId) || !RCP_SERVICES.has(action.split(':')[0] ?? '')) return [];
    return [
      { orgIdentifier: 'r-local', policies: [] },
      { orgIdentifier: accountId, policies: Object.entries(own).map(([name, policy]) => ({ name, policy })) },
    ];
  }

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
      rcps?: ReturnType<typeof resourceControlPolicies>;
      /** The resource's own policy (a DynamoDB table's), evaluated as AWS evaluates it in-account. */
      resourcePolicy?: PolicyDocument | undefined;
    },
    action: string,
    resource: string,
    context: Record<string, string | string[]>,
    /** The resource's account when it is not the principal's (a table of another account). */
    resourceAccountId = accountId,
  ) {
    const result = await runSimulation(
      {
        request: {
          principal: roleArn,
          action,
          resource: { resource, accountId: resourceAccountId },
          contextVariables: context,
        },
        identityPolicies: Object.entries(layers.identity).map(([name, policy]) => ({ name, policy })),
        serviceControlPolicies: layers.scps,
        resourceControlPolicies: layers.rcps ?? [],
        ...(layers.resourcePolicy ? { resourcePolicy: layers.resourcePolicy } : {}),
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

  /**
   * Whether the session `caller` may take `action` on `resource` as a real call: every layer,
   * resource control policies included. Throws AccessDenied as AWS would, naming one denying layer.
   */
  async function authorize(
    caller: StsCaller,
    action: string,
    resource: string,
    { resourcePolicy }: { resourcePolicy?: PolicyDocument | undefined } = {},
  ): Promise<void> {
    const context = { 'aws:PrincipalArn': caller.principalArn, 'aws:PrincipalAccount': caller.accountId };
    const layers = {
      identity: caller.identityPolicies,
      scps: serviceControlPolicies(caller.accountId),
      boundary: state.boundaries[caller.principalArn],
      rcps: resourceControlPolicies(caller.accountId, action),
      resourcePolicy,
    };
    // An ARN names its resource's account; `*` and account-less ARNs are the caller's.
    const resourceAccountId = /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/.exec(resource)?.[1] ?? caller.accountId;
    const on = (part: Partial<typeof layers>) =>
      run(
        caller.principalArn,
        caller.accountId,
        { identity: { everything: FULL_AWS_ACCESS }, scps: [], boundary: undefined, ...part },
        action,
        resource,
        context,
        resourceAccountId,
      ).then((result) => result.overall as Overall);
    if ((await on(layers)) === 'Allowed') return;
    // Each layer alone (the others allowing everything): which of them denies, and how.
    const verdicts: [Layer, Overall][] = [
      ['service control policy', layers.scps.length > 0 ? await on({ scps: layers.scps }) : 'Allowed'],
      ['resource control policy', layers.rcps.length > 0 ? await on({ rcps: layers.rcps }) : 'Allowed'],
      // In-account, a resource policy that grants nothing leaves the identity's allow standing: only
      // its explicit deny decides (IAM policy evaluation logic, same-account requests).
      // Across accounts the resource's own policy must allow too, so none at all denies implicitly.
      [
        'resource-based policy',
        resourcePolicy
          ? await on({ resourcePolicy })
          : resourceAccountId !== caller.accountId
            ? 'ImplicitlyDenied'
            : 'Allowed',
      ],
      ['permissions boundary', layers.boundary ? await on({ boundary: layers.boundary }) : 'Allowed'],
      ['identity-based policy', await on({ identity: layers.identity })],
    ];
    throw accessDenied(caller, action, resource, verdicts);
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
    /**
     * Puts the account in an organization whose RCP denies `actions` on its resources, to every
     * principal; an empty list takes the RCP away. Actions of services RCPs do not cover are refused.
     */
    setDenyingRcp(accountId: string, actions: readonly string[]) {
      const uncovered = actions.filter((action) => !RCP_SERVICES.has(action.split(':')[0] ?? ''));
      if (uncovered.length > 0) {
        throw new RangeError(
          `Resource control policies do not apply to ${uncovered.join(', ')}: RCPs cover only ${[...RCP_SERVICES].join(', ')}.`,
        );
      }
      if (actions.length === 0) delete rcps()[accountId];
      else
        rcps()[accountId] = {
          'keyless-local-rcp-deny': {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Deny', Principal: '*', Action: [...actions], Resource: '*' }],
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

type Layer =
  | 'service control policy'
  | 'resource control policy'
  | 'resource-based policy'
  | 'permissions boundary'
  | 'identity-based policy';

/**
 * The AccessDenied AWS answers a call with: "with an explicit deny in a <type>" or "because no
 * <type> allows the <action> action". AWS names one type when several deny
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html); here an explicit
 * deny comes first, as AWS's evaluation decides it first, then the layers in the order listed.
 */
function accessDenied(caller: StsCaller, action: string, resource: string, verdicts: [Layer, Overall][]) {
  const explicit = verdicts.find(([, overall]) => overall === 'ExplicitlyDenied');
  const implicit = verdicts.find(([, overall]) => overall === 'ImplicitlyDenied');
  const reason = explicit
    ? `with an explicit deny in ${explicit[0] === 'identity-based policy' ? 'an' : 'a'} ${explicit[0]}`
    : `because no ${implicit?.[0] ?? 'identity-based policy'} allows the ${action} action`;
  return new StsError(
    'AccessDenied',
    `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} ${reason}`,
    403,
  );
}

function load(persistPath: string | undefined): IamState {
  if (!persistPath) return { organizations: {}, boundaries: {} };
  try {
    return JSON.parse(readFileSync(persistPath, 'utf8')) as IamState;
  } catch {
    return { organizations: {}, boundaries: {} };
  }
}
