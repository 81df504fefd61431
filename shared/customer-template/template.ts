/**
 * The CloudFormation template a customer launches to let the provider in: one IAM role that trusts only
 * the provider's named roles and only with the customer's External ID, and the `Custom::KeylessRegistration`
 * resource that tells the provider the role exists (and, on stack deletion, that it is gone).
 * Pure code: returns the template as a plain object; `cli.ts` prints it, the CDK stack publishes it.
 */

import type { CustomerTemplateConfig, PolicyStatement, ResolvedCustomerTemplateConfig } from './config.ts';
import { registrationTopicArn } from './names.ts';
import {
  customerRoleDefinition,
  PARAMETERS,
  POLICY_NAMES,
  type RoleInput,
  resolveCustomerTemplateConfig,
} from './role-definition.ts';

// The role's definition lives in role-definition.ts (shared with the Terraform module); re-exported
// here for the modules that have always read it from the template.
export {
  ACCESS_TAG_KEY,
  CUSTOMER_ID_ALLOWED_PATTERN,
  defaultOngoingStatements,
  defaultSetupStatements,
  EXTERNAL_ID_ALLOWED_PATTERN,
  type GrantedPermissions,
  PARAMETERS,
  POLICY_NAMES,
  permissionsOf,
  renderStatement,
  resolveCustomerTemplateConfig,
  roleNamePrefix,
  SOURCE_IP_ALLOWED_PATTERN,
  selfCheckStatement,
  trustedPrincipalArns,
} from './role-definition.ts';

export const LOGICAL_IDS = {
  role: 'KeylessRole',
  registration: 'KeylessRegistration',
  topicMapping: 'KeylessRegistrationTopics',
  topicArnKey: 'TopicArn',
  isSetupPhase: 'IsSetupPhase',
  hasAllowedSourceIp: 'HasAllowedSourceIp',
  roleArnOutput: 'RoleArn',
} as const;

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

/** A template parameter: one input of the role's definition. */
export type CloudFormationParameter = RoleInput;

export interface CloudFormationResource {
  Type: string;
  Condition?: string;
  DependsOn?: string[];
  UpdateReplacePolicy?: 'Retain' | 'Delete';
  DeletionPolicy?: 'Retain' | 'Delete';
  Properties: Record<string, unknown>;
}

const ref = (name: string) => ({ Ref: name });
/** An AWS managed policy in the stack's own partition (aws, aws-cn, aws-us-gov). */
export function managedPolicyArn(arn: string) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, literally
  return { 'Fn::Sub': arn.replace(/^arn:aws:/, 'arn:${AWS::Partition}:') };
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

export function buildCustomerTemplate(input: CustomerTemplateConfig): CloudFormationTemplate {
  const config = resolveCustomerTemplateConfig(input);
  const role = customerRoleDefinition(config);
  const { providerName, templateVersion: version } = role;
  const P = PARAMETERS;
  const L = LOGICAL_IDS;

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
  const ongoingStatements = role.permissions.ongoing.statements;
  const setupStatements = role.permissions.setupPhase.statements;
  const ongoingManaged = role.permissions.ongoing.managedPolicyArns;
  const setupManaged = role.permissions.setupPhase.managedPolicyArns;

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
    Parameters: role.inputs,
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
          MaxSessionDuration: role.maxSessionDuration,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: role.trustStatements.map((statement) => ({
              ...statement,
              Condition: withSourceIp(statement.Condition),
            })),
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
            { PolicyName: POLICY_NAMES.selfCheck, PolicyDocument: policyDocument(role.selfCheck) },
          ],
          Tags: role.tags,
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
