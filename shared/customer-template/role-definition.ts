/**
 * The customer role as one definition (docs/architecture.md §9.5): who may assume it and on which
 * conditions, what it is granted, its tags, its session limit and the customer's inputs with their
 * constraints. The CloudFormation template (template.ts) and the Terraform module (terraform.ts)
 * both render it, so the two can never grant different things.
 *
 * What the customer's account decides is written in a small subset of CloudFormation's intrinsics:
 * `{ Ref: <input or AWS::StackId> }` and `{ 'Fn::Sub': '…${AWS::Partition}…${<input>}…' }`. The
 * template uses them as they are; the Terraform renderer translates them and refuses anything else.
 */
import { CUSTOMER_ID_PATTERN_BODY } from '../domain/identifiers.ts';
import { ROLE_MAX_SESSION_SECONDS } from '../domain/sts-limits.ts';
import { iamStatement, type ProviderStatement } from '../provider-config/schema.ts';
import {
  type CustomerTemplateConfig,
  customerTemplateConfigSchema,
  type PolicyStatement,
  type ResolvedCustomerTemplateConfig,
} from './config.ts';
import {
  customerRoleNamePattern,
  defaultCustomerRoleName,
  providerResourceNames,
  roleArn,
  roleNamePrefixOf,
} from './names.ts';

/** The customer's resources are tagged with this key; the default ongoing policy reads only resources tagged `read`. */
export const ACCESS_TAG_KEY = 'keyless:access';

/** The customer's inputs, by their CloudFormation parameter names. */
export const PARAMETERS = {
  externalId: 'ExternalId',
  customerId: 'CustomerId',
  roleName: 'RoleName',
  setupPhase: 'SetupPhase',
  allowedSourceIp: 'AllowedSourceIp',
} as const;
export type ParameterName = (typeof PARAMETERS)[keyof typeof PARAMETERS];

/** The role's inline policies, named for what they are to the customer (no product name). */
export const POLICY_NAMES = {
  ongoing: 'ongoing-access',
  setup: 'setup-phase-access',
  selfCheck: 'permission-self-check',
} as const;

/** STS's ExternalId charset and length, as a CloudFormation AllowedPattern (matched against the whole value). */
export const EXTERNAL_ID_ALLOWED_PATTERN = '[\\w+=,.@:/-]{2,1224}';
/** What the setup API accepts as a customer id (shared/domain/identifiers.ts); every character is valid in a tag value. */
export const CUSTOMER_ID_ALLOWED_PATTERN = CUSTOMER_ID_PATTERN_BODY;
export const SOURCE_IP_ALLOWED_PATTERN =
  '|((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)/(3[0-2]|[12]?\\d)';

/** One input the customer gives, with its constraints (a CloudFormation parameter, a Terraform variable). */
export interface RoleInput {
  Type: 'String';
  Description: string;
  Default?: string;
  AllowedValues?: string[];
  AllowedPattern?: string;
  ConstraintDescription?: string;
  MinLength?: number;
  MaxLength?: number;
  NoEcho?: boolean;
}

/**
 * Lets the role ask IAM's policy simulator about itself, and about nothing else: the validator's
 * permission check (docs/architecture.md §9.4) runs in the role's own session.
 */
export function selfCheckStatement(): PolicyStatement {
  return {
    Sid: 'SimulateOwnPermissions',
    Effect: 'Allow',
    Action: 'iam:SimulatePrincipalPolicy',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, literally
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}' },
  };
}

/**
 * Lets the role read which organization its account belongs to: an organization setup proves
 * membership with it (docs/architecture.md §9.7). DescribeOrganization takes no resource
 * (Service Authorization Reference for AWS Organizations), so `*`; it reveals the organization's
 * id and management account, nothing of other accounts.
 */
export function organizationCheckStatement(): PolicyStatement {
  return {
    Sid: 'DescribeOwnOrganization',
    Effect: 'Allow',
    Action: 'organizations:DescribeOrganization',
    Resource: '*',
  };
}

const ref = (name: string) => ({ Ref: name });
/** An ARN in the customer's own account, any region: `Fn::Sub` placeholders resolved by their stack. */
const inCustomerAccount = (service: string, resource: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:${service}:*:\${AWS::AccountId}:${resource}`,
});

/** Read-only, and only on resources the customer tagged `keyless:access=read`: an example to replace. */
export function defaultOngoingStatements(): PolicyStatement[] {
  return [
    {
      Sid: 'ReadTaggedResources',
      Effect: 'Allow',
      Action: [
        'ssm:GetParameter',
        'ssm:GetParameters',
        'lambda:GetFunctionConfiguration',
        'dynamodb:DescribeTable',
      ],
      Resource: [
        inCustomerAccount('ssm', 'parameter/*'),
        inCustomerAccount('lambda', 'function:*'),
        inCustomerAccount('dynamodb', 'table/*'),
      ],
      Condition: { StringEquals: { [`aws:ResourceTag/${ACCESS_TAG_KEY}`]: 'read' } },
    },
  ];
}

/** Discovery during onboarding only: which resources carry tags, and this stack's own state. */
export function defaultSetupStatements(): PolicyStatement[] {
  return [
    {
      Sid: 'DiscoverTaggedResources',
      // The Resource Groups Tagging API has no resource-level permissions: '*' is the only resource.
      Effect: 'Allow',
      Action: ['tag:GetResources', 'tag:GetTagKeys', 'tag:GetTagValues'],
      Resource: '*',
    },
    {
      Sid: 'ReadThisStack',
      Effect: 'Allow',
      Action: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackResources'],
      Resource: ref('AWS::StackId'),
    },
  ];
}

/** A string of the provider config as CloudFormation takes it: `${AWS::…}` placeholders become Fn::Sub. */
const substituted = (value: string) => (value.includes('${') ? { 'Fn::Sub': value } : value);

/** A provider-config statement as IAM takes it: placeholders substituted, Keyless's own keys removed. */
export function renderStatement(statement: ProviderStatement): PolicyStatement {
  const { Resource } = iamStatement(statement);
  return {
    ...iamStatement(statement),
    Resource: typeof Resource === 'string' ? substituted(Resource) : Resource.map(substituted),
  };
}

/** The ARNs of the provider roles a customer role trusts (matched by `aws:PrincipalArn`). */
export function trustedPrincipalArns(config: ResolvedCustomerTemplateConfig): string[] {
  const names = providerResourceNames(config.stage);
  const roleNames = config.trustedRoleNames ?? [names.validatorRoleName, names.brokerRoleName];
  return roleNames.map((name) => roleArn(config.partition, config.providerAccountId, name));
}

/** One set of permissions as the role is granted it: AWS managed policies and inline statements. */
export interface GrantedPermissions {
  managedPolicyArns: readonly string[];
  statements: readonly PolicyStatement[];
}

/**
 * What the role is granted for as long as it exists, and during the setup phase: the provider's
 * permissions (keyless.config.json) when given, else the built-in example. Managed policy ARNs are
 * written for the commercial partition; each renderer puts them in the customer's own.
 */
export function permissionsOf(config: ResolvedCustomerTemplateConfig): {
  ongoing: GrantedPermissions;
  setupPhase: GrantedPermissions;
} {
  const { permissions } = config;
  return {
    ongoing: {
      managedPolicyArns: permissions?.ongoing.managedPolicyArns ?? [],
      statements: permissions
        ? permissions.ongoing.statements.map(renderStatement)
        : (config.ongoingPolicyStatements ?? defaultOngoingStatements()),
    },
    setupPhase: {
      managedPolicyArns: permissions?.setupPhase.managedPolicyArns ?? [],
      statements: permissions
        ? permissions.setupPhase.statements.map(renderStatement)
        : (config.setupPolicyStatements ?? defaultSetupStatements()),
    },
  };
}

/** The prefix customer role names start with (names.ts). */
export function roleNamePrefix(config: ResolvedCustomerTemplateConfig): string {
  return config.roleNamePrefix ?? roleNamePrefixOf(config.providerName);
}

/** Validates the config (throws a ZodError naming each bad field) and applies the defaults. */
export function resolveCustomerTemplateConfig(
  config: CustomerTemplateConfig,
): ResolvedCustomerTemplateConfig {
  return customerTemplateConfigSchema.parse(config);
}

/** A statement of the role's trust policy. */
export interface TrustStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: { AWS: string };
  Action: string | readonly string[];
  Condition: Record<string, Record<string, unknown>>;
}

/** The customer role, as every renderer builds it. */
export interface CustomerRoleDefinition {
  providerName: string;
  roleNamePrefix: string;
  /** The template version, as its tag and the registration carry it ("1", "2"…). */
  templateVersion: string;
  /** The customer's inputs in the order they are asked for, by parameter name. */
  inputs: Record<ParameterName, RoleInput>;
  maxSessionDuration: number;
  /** The account principal the trust names, narrowed to `providerRoleArns` by aws:PrincipalArn. */
  providerPrincipal: string;
  providerRoleArns: string[];
  /**
   * The trust policy's statements. Each also requires aws:SourceIp within `AllowedSourceIp`
   * (an `IpAddress` condition) when the customer gives one.
   */
  trustStatements: TrustStatement[];
  permissions: { ongoing: GrantedPermissions; setupPhase: GrantedPermissions };
  /** The self-check policy (POLICY_NAMES.selfCheck): the role's own permissions and organization. */
  selfCheck: PolicyStatement[];
  tags: { Key: string; Value: unknown }[];
}

export function customerRoleDefinition(config: ResolvedCustomerTemplateConfig): CustomerRoleDefinition {
  const { providerName, partition, providerAccountId } = config;
  const P = PARAMETERS;
  const prefix = roleNamePrefix(config);
  const version = String(config.templateVersion);
  const providerPrincipal = `arn:${partition}:iam::${providerAccountId}:root`;
  const providerRoleArns = trustedPrincipalArns(config);
  return {
    providerName,
    roleNamePrefix: prefix,
    templateVersion: version,
    inputs: {
      [P.externalId]: {
        Type: 'String',
        // Not NoEcho: the console ignores `param_` values of NoEcho parameters in quick-create
        // links, so the launch URL could not pre-fill it. An External ID is not a secret (it guards
        // against the confused deputy, not against disclosure); the trust policy enforces it.
        Description: `The External ID ${providerName} issued for this setup. The role refuses any other.`,
        MinLength: 2,
        MaxLength: 1224,
        AllowedPattern: EXTERNAL_ID_ALLOWED_PATTERN,
        ConstraintDescription:
          "2–1224 characters of letters, digits and _+=,.@:/- (STS's ExternalId limits).",
      },
      [P.customerId]: {
        Type: 'String',
        Description: `Your customer id at ${providerName}.`,
        MinLength: 1,
        MaxLength: 128,
        AllowedPattern: CUSTOMER_ID_ALLOWED_PATTERN,
        ConstraintDescription: '1–128 letters, digits and _ . @ + = : -, starting with a letter or digit',
      },
      [P.roleName]: {
        Type: 'String',
        Description: `Name of the IAM role ${providerName} assumes; it must start with "${prefix}".`,
        Default: defaultCustomerRoleName(prefix),
        MinLength: prefix.length,
        MaxLength: 64,
        AllowedPattern: customerRoleNamePattern(prefix),
        ConstraintDescription: `"${prefix}" followed by up to ${64 - prefix.length} letters, digits or _+=,.@-`,
      },
      [P.setupPhase]: {
        Type: 'String',
        Description:
          'true grants the setup-phase permissions as well; update the stack with false once onboarding is done.',
        Default: 'false',
        AllowedValues: ['true', 'false'],
      },
      [P.allowedSourceIp]: {
        Type: 'String',
        Description: `Optional IPv4 CIDR ${providerName} must call from (aws:SourceIp). Empty: no IP restriction.`,
        Default: '',
        AllowedPattern: SOURCE_IP_ALLOWED_PATTERN,
        ConstraintDescription: 'empty, or an IPv4 CIDR such as 203.0.113.0/24',
      },
    },
    maxSessionDuration: ROLE_MAX_SESSION_SECONDS,
    providerPrincipal,
    providerRoleArns,
    trustStatements: [
      {
        Sid: 'ProviderRolesWithExternalIdOnly',
        Effect: 'Allow',
        // The account as principal, narrowed to named roles: a re-created provider role keeps working.
        Principal: { AWS: providerPrincipal },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'sts:ExternalId': ref(P.externalId) },
          ArnEquals: { 'aws:PrincipalArn': providerRoleArns },
        },
      },
      {
        // Source identity and session tags attribute each session in CloudTrail. IAM documents
        // sts:ExternalId for AssumeRole only, so these carry no External ID condition: on their own
        // they grant nothing, and AssumeRole above still requires the External ID.
        Sid: 'ProviderRolesSessionAttribution',
        Effect: 'Allow',
        Principal: { AWS: providerPrincipal },
        Action: ['sts:SetSourceIdentity', 'sts:TagSession'],
        Condition: { ArnEquals: { 'aws:PrincipalArn': providerRoleArns } },
      },
    ],
    permissions: permissionsOf(config),
    selfCheck: [selfCheckStatement(), organizationCheckStatement()],
    tags: [
      { Key: 'keyless:customer-id', Value: ref(P.customerId) },
      { Key: 'keyless:template-version', Value: version },
    ],
  };
}
