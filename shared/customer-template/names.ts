/**
 * The provider-side names the customer template refers to. They are fixed by convention (stage + role),
 * so the template can be generated before, and independently of, a deployment; the CDK stack gives its
 * resources exactly these names.
 */
import { STAGE_PATTERN } from '../domain/identifiers.ts';

export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof PARTITIONS)[number];

/**
 * Customer roles are named with a prefix, so provider roles may assume nothing else. The provider
 * config may set its own (`customerRoleNamePrefix`); without one it is the provider's name in
 * letters and digits, and Keyless's own config keeps "Keyless".
 */
export const CUSTOMER_ROLE_NAME_PREFIX = 'Keyless';
/** What a role name prefix may be: IAM role-name characters, leaving room for a suffix. */
export const ROLE_NAME_PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9+=,.@_-]{0,31}$/;

/** The prefix a provider's name gives when its config sets none: "Acme Analytics" → "AcmeAnalytics". */
export function roleNamePrefixOf(providerName: string): string {
  const letters = providerName
    .replace(/[^A-Za-z0-9]/g, '')
    .replace(/^[0-9]+/, '')
    .slice(0, 32);
  return letters || CUSTOMER_ROLE_NAME_PREFIX;
}

/** The RoleName the template proposes: the prefix and "Access". */
export function defaultCustomerRoleName(prefix: string = CUSTOMER_ROLE_NAME_PREFIX): string {
  return `${prefix}Access`;
}

/** CloudFormation AllowedPattern (matched against the whole value) for the customer's RoleName. */
export function customerRoleNamePattern(prefix: string = CUSTOMER_ROLE_NAME_PREFIX): string {
  return `${prefix.replace(/[.+]/g, '\\$&')}[\\w+=,.@-]{0,${64 - prefix.length}}`;
}

export interface ProviderResourceNames {
  /** Role of the role-validator function: proves each customer role (assumes it with and without the External ID). */
  validatorRoleName: string;
  /** Role of the downstream workers that vend credentials through the broker. */
  brokerRoleName: string;
  /** The SNS topic customer stacks publish custom-resource requests to, one per region, same name everywhere. */
  registrationTopicName: string;
  eventBusName: string;
}

export function providerResourceNames(stage: string): ProviderResourceNames {
  if (!STAGE_PATTERN.test(stage)) {
    throw new RangeError(
      `Stage "${stage}" must start with a lower-case letter and hold 1–20 lower-case letters, digits or dashes.`,
    );
  }
  return {
    validatorRoleName: `keyless-${stage}-role-validator`,
    brokerRoleName: `keyless-${stage}-credential-broker`,
    registrationTopicName: `keyless-${stage}-registrations`,
    eventBusName: `keyless-${stage}`,
  };
}

export function roleArn(partition: Partition, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

export function registrationTopicArn(
  partition: Partition,
  region: string,
  providerAccountId: string,
  stage: string,
): string {
  return `arn:${partition}:sns:${region}:${providerAccountId}:${providerResourceNames(stage).registrationTopicName}`;
}

/** IAM resource pattern of every customer role, in any account: what provider roles may assume. */
export function customerRoleArnPattern(
  partition: Partition,
  prefix: string = CUSTOMER_ROLE_NAME_PREFIX,
): string {
  return `arn:${partition}:iam::*:role/${prefix}*`;
}

/** The function a Terraform module's registration invokes (docs/architecture.md §9.5): `keyless-<stage>-<name>`. */
export const TERRAFORM_REGISTRATION_FUNCTION = 'terraform-registration';

export function terraformRegistrationFunctionArn(
  partition: Partition,
  homeRegion: string,
  providerAccountId: string,
  stage: string,
): string {
  providerResourceNames(stage);
  return `arn:${partition}:lambda:${homeRegion}:${providerAccountId}:function:keyless-${stage}-${TERRAFORM_REGISTRATION_FUNCTION}`;
}
