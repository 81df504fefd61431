/**
 * The provider-side names the customer template refers to. They are fixed by convention (stage + role),
 * so the template can be generated before, and independently of, a deployment; the CDK stack gives its
 * resources exactly these names.
 */
import { STAGE_PATTERN } from '../domain/identifiers.ts';

export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof PARTITIONS)[number];

/** Customer roles are named with this prefix, so provider roles may assume nothing else. */
export const CUSTOMER_ROLE_NAME_PREFIX = 'Keyless';
export const DEFAULT_CUSTOMER_ROLE_NAME = 'KeylessAccess';
/** CloudFormation AllowedPattern (matched against the whole value) for the customer's RoleName. */
export const CUSTOMER_ROLE_NAME_PATTERN = `${CUSTOMER_ROLE_NAME_PREFIX}[\\w+=,.@-]{0,57}`;

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
export function customerRoleArnPattern(partition: Partition): string {
  return `arn:${partition}:iam::*:role/${CUSTOMER_ROLE_NAME_PREFIX}*`;
}
