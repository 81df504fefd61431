/**
 * The CloudFormation template a customer launches to let the provider in: one IAM role that trusts only
 * the provider's named roles and only with the customer's External ID, and the `Custom::KeylessRegistration`
 * resource that tells the provider the role exists (and, on stack deletion, that it is gone).
 * Pure code: returns the template as a plain object; `cli.ts` prints it, the CDK stack publishes it.
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
  registrationTopicArn,
  roleArn,
  roleNamePrefixOf,
} from './names.ts';

/** The customer's resources are tagged with this key; the default ongoing policy reads only resources tagged `read`. */
export const ACCESS_TAG_KEY = 'keyless:access';

export const PARAMETERS = {
  externalId: 'ExternalId',
  customerId: 'CustomerId',
  roleName: 'RoleName',
  setupPhase: 'SetupPhase',
  allowedSourceIp: 'AllowedSourceIp',
} as const;

export const LOGICAL_IDS = {
  role: 'KeylessRole',
  registration: 'KeylessRegistration',
  topicMapping: 'KeylessRegistrationTopics',
  topicArnKey: 'TopicArn',
  isSetupPhase: 'IsSetupPhase',
  hasAllowedSourceIp: 'HasAllowedSourceIp',
  roleArnOutput: 'RoleArn',
} as const;

/** The role's inline policies, named for what they are to the customer (no product name). */
export const POLICY_NAMES = {
  ongoing: 'ongoing-access',
  setup: 'setup-phase-access',
  selfCheck: 'permission-self-check',
} as const;

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

/** STS's ExternalId charset and length, as a CloudFormation AllowedPattern (matched against the whole value). */
export const EXTERNAL_ID_ALLOWED_PATTERN = '[\\w+=,.@:/-]{2,1224}';
/** What the setup API accepts as a customer id (shared/domain/identifiers.ts); every character is valid in a tag value. */
export const CUSTOMER_ID_ALLOWED_PATTERN = CUSTOMER_ID_PATTERN_BODY;
export const SOURCE_IP_ALLOWED_PATTERN =
  '|((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)/(3[0-2]|[12]?\\d)';

export type CloudFormationTemplate = {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Metadata: Record<string, unknown>;
  Parameters: Record<string, CloudFormationParameter>;
  Mappings: Record<string, Record<string, Record<string, string>>>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, CloudFormationResource>;
  Outputs: Record<string, { Description: string; Value: unknown }>;
};

export interface CloudFormationParameter {
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

export interface CloudFormationResource {
  Type: string;
  Condition?: string;
  DependsOn?: string[];
  UpdateReplacePolicy?: 'Retain' | 'Delete';
  DeletionPolicy?: 'Retain' | 'Delete';
  Properties: Record<string, unknown>;
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

/** An AWS managed policy in the stack's own partition (aws, aws-cn, aws-us-gov). */
export function managedPolicyArn(arn: string) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, literally
  return { 'Fn::Sub': arn.replace(/^arn:aws:/, 'arn:${AWS::Partition}:') };
}

/** The ARNs of the provider roles a customer role trusts (matched by `aws:PrincipalArn`). */
export function trustedPrincipalArns(config: ResolvedCustomerTemplateConfig): string[] {
  const names = providerResourceNames(config.stage);
  const roleNames = config.trustedRoleNames ?? [names.validatorRoleName, names.brokerRoleName];
  return roleNames.map((name) => roleArn(config.partition, config.providerAccountId, name));
}

/** Region → registration topic ARN, as the setup API's REGISTRATION_TOPIC_ARNS expects it. */
export function registrationTopicArns(config: ResolvedCustomerTemplateConfig): Record<string, string> {
  return Object.fromEntries(
    config.regions.map((region) => [
      region,
      registrationTopicArn(config.partition, region, config.providerAccountId, config.stage),
    ]),
  );
}

/** One set of permissions as the template grants it: AWS managed policies and inline statements. */
export interface GrantedPermissions {
  managedPolicyArns: readonly string[];
  statements: readonly PolicyStatement[];
}

/**
 * What the role is granted for as long as the stack exists, and during the setup phase: the
 * provider's permissions (keyless.config.json) when given, else the built-in example.
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

export function buildCustomerTemplate(input: CustomerTemplateConfig): CloudFormationTemplate {
  const config = resolveCustomerTemplateConfig(input);
  const { providerName, partition, providerAccountId } = config;
  const P = PARAMETERS;
  const L = LOGICAL_IDS;

  const providerPrincipal = { AWS: `arn:${partition}:iam::${providerAccountId}:root` };
  const providerRoles = trustedPrincipalArns(config);
  const withSourceIp = (conditions: Record<string, unknown>) => ({
    'Fn::If': [
      L.hasAllowedSourceIp,
      { ...conditions, IpAddress: { 'aws:SourceIp': ref(P.allowedSourceIp) } },
      conditions,
    ],
  });
  const policyDocument = (statements: readonly PolicyStatement[]) => ({
    Version: '2012-10-17',
    Statement: statements,
  });
  const granted = permissionsOf(config);
  const ongoingStatements = granted.ongoing.statements;
  const setupStatements = granted.setupPhase.statements;
  const ongoingManaged = granted.ongoing.managedPolicyArns;
  const setupManaged = granted.setupPhase.managedPolicyArns;
  const prefix = roleNamePrefix(config);
  const version = String(config.templateVersion);

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      `Lets ${providerName} reach this AWS account without access keys (template ` +
      `v${version}): an IAM role ${providerName} can assume only with your External ID, ` +
      'and its registration. Delete this stack to revoke the access at once.',
    Metadata: {
      'AWS::CloudFormation::Interface': {
        ParameterGroups: [
          { Label: { default: 'Provided by the onboarding link' }, Parameters: [P.customerId, P.externalId] },
          { Label: { default: 'The role' }, Parameters: [P.roleName, P.setupPhase, P.allowedSourceIp] },
        ],
        ParameterLabels: {
          [P.externalId]: { default: 'External ID (keep it as given)' },
          [P.customerId]: { default: 'Customer id' },
          [P.roleName]: { default: 'Role name' },
          [P.setupPhase]: { default: 'Grant the setup-phase permissions?' },
          [P.allowedSourceIp]: { default: 'Only from this source IP range (optional)' },
        },
      },
    },
    Parameters: {
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
    Mappings: {
      [L.topicMapping]: Object.fromEntries(
        Object.entries(registrationTopicArns(config)).map(([region, arn]) => [
          region,
          { [L.topicArnKey]: arn },
        ]),
      ),
    },
    Conditions: {
      [L.isSetupPhase]: { 'Fn::Equals': [ref(P.setupPhase), 'true'] },
      [L.hasAllowedSourceIp]: { 'Fn::Not': [{ 'Fn::Equals': [ref(P.allowedSourceIp), ''] }] },
    },
    Resources: {
      [L.role]: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: ref(P.roleName),
          Description: `Assumed by ${providerName}, only with this stack's External ID. Delete the stack to revoke.`,
          MaxSessionDuration: ROLE_MAX_SESSION_SECONDS,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'ProviderRolesWithExternalIdOnly',
                Effect: 'Allow',
                // The account as principal, narrowed to named roles: a re-created provider role keeps working.
                Principal: providerPrincipal,
                Action: 'sts:AssumeRole',
                Condition: withSourceIp({
                  StringEquals: { 'sts:ExternalId': ref(P.externalId) },
                  ArnEquals: { 'aws:PrincipalArn': providerRoles },
                }),
              },
              {
                // Source identity and session tags attribute each session in CloudTrail. IAM documents
                // sts:ExternalId for AssumeRole only, so these carry no External ID condition: on their own
                // they grant nothing, and AssumeRole above still requires the External ID.
                Sid: 'ProviderRolesSessionAttribution',
                Effect: 'Allow',
                Principal: providerPrincipal,
                Action: ['sts:SetSourceIdentity', 'sts:TagSession'],
                Condition: withSourceIp({ ArnEquals: { 'aws:PrincipalArn': providerRoles } }),
              },
            ],
          },
          ...(ongoingManaged.length + setupManaged.length > 0
            ? {
                ManagedPolicyArns: [
                  ...ongoingManaged.map(managedPolicyArn),
                  // Attached only while the customer keeps SetupPhase=true.
                  ...setupManaged.map((arn) => ({
                    'Fn::If': [L.isSetupPhase, managedPolicyArn(arn), ref('AWS::NoValue')],
                  })),
                ],
              }
            : {}),
          Policies: [
            ...(ongoingStatements.length > 0
              ? [{ PolicyName: POLICY_NAMES.ongoing, PolicyDocument: policyDocument(ongoingStatements) }]
              : []),
            ...(setupStatements.length > 0
              ? [
                  {
                    'Fn::If': [
                      L.isSetupPhase,
                      { PolicyName: POLICY_NAMES.setup, PolicyDocument: policyDocument(setupStatements) },
                      ref('AWS::NoValue'),
                    ],
                  },
                ]
              : []),
            { PolicyName: POLICY_NAMES.selfCheck, PolicyDocument: policyDocument([selfCheckStatement()]) },
          ],
          Tags: [
            { Key: 'keyless:customer-id', Value: ref(P.customerId) },
            { Key: 'keyless:template-version', Value: version },
          ],
        },
      },
      [L.registration]: {
        Type: 'Custom::KeylessRegistration',
        // The role and its inline policies exist before the provider is told to validate them.
        DependsOn: [L.role],
        // A replacement must never send a Delete for the old registration: that would revoke the access.
        UpdateReplacePolicy: 'Retain',
        Properties: {
          ServiceToken: { 'Fn::FindInMap': [L.topicMapping, ref('AWS::Region'), L.topicArnKey] },
          ServiceTimeout: config.serviceTimeoutSeconds,
          CustomerId: ref(P.customerId),
          ExternalId: ref(P.externalId),
          RoleArn: { 'Fn::GetAtt': [L.role, 'Arn'] },
          TemplateVersion: version,
        },
      },
    },
    Outputs: {
      [L.roleArnOutput]: {
        Description: `The role ${providerName} assumes (with your External ID only).`,
        Value: { 'Fn::GetAtt': [L.role, 'Arn'] },
      },
    },
  };
}
