/**
 * The actions Keyless knows how to probe (docs/architecture.md §9.4): for each, the one cheap,
 * read-only, idempotent call that stands for it, the resource ARNs a provider may name for it, and
 * the resource used when it names none. Pure data, so the provider config's schema can list the
 * actions without pulling in an AWS client; the calls are in probes.ts.
 *
 * Chosen for what a real call sees that IAM's policy simulator does not, and for the validator's
 * bundle, which holds only the AWS clients its factory is built with: DynamoDB's is already in it.
 * DynamoDB is under resource control policies since 2026-02
 * (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html) and a
 * table carries a resource-based policy. Each further entry brings its client into the bundle
 * (Secrets Manager's DescribeSecret about 28 KB, Lambda's about 117 KB, SSM's about 214 KB; SSM and
 * Lambda are not under RCPs at all).
 */

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation placeholders, literally
const PLACEHOLDERS = ['${AWS::Partition}', '${AWS::Region}', '${AWS::AccountId}'] as const;
/** An ARN of the role's own account, with the template's placeholders, as the config writes it. */
const arnOf = (service: string, resource: string) =>
  `arn:${PLACEHOLDERS[0]}:${service}:${PLACEHOLDERS[1]}:${PLACEHOLDERS[2]}:${resource}`;

/** `${AWS::Partition}` or a partition; `${AWS::Region}` or a region; always the role's own account. */
const ARN_PREFIX = (service: string) =>
  String.raw`^arn:(\$\{AWS::Partition\}|aws|aws-cn|aws-us-gov):${service}:(\$\{AWS::Region\}|[a-z]{2}(-[a-z]+)+-\d):\$\{AWS::AccountId\}:`;

export interface ProbeKind {
  /** What the call is, for the docs and the messages. */
  call: string;
  /** The ARNs a provider may name: in the role's own account (`${AWS::AccountId}`), no wildcard. */
  resourcePattern: RegExp;
  /** How such an ARN is written, for the error message. */
  resourceExample: string;
  /**
   * The resource probed when the provider names none: one that should not exist, which AWS answers
   * with ResourceNotFoundException only after authorizing the call.
   */
  anyResource: string;
}

export const PROBE_CATALOGUE = {
  'dynamodb:DescribeTable': {
    call: 'DynamoDB DescribeTable',
    resourcePattern: new RegExp(`${ARN_PREFIX('dynamodb')}table/[A-Za-z0-9_.-]{3,255}$`),
    resourceExample: arnOf('dynamodb', 'table/<table name>'),
    anyResource: arnOf('dynamodb', 'table/keyless-permission-probe'),
  },
} satisfies Record<string, ProbeKind>;

export type ProbeAction = keyof typeof PROBE_CATALOGUE;
export const PROBE_ACTIONS = Object.keys(PROBE_CATALOGUE) as [ProbeAction, ...ProbeAction[]];

export const isProbeAction = (action: string): action is ProbeAction =>
  Object.hasOwn(PROBE_CATALOGUE, action);
