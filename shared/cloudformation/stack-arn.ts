/**
 * CloudFormation stack ARNs. The account a connection belongs to is always read from the stack's
 * own ARN (the StackId of the request, or the stack-id of a status-change event), never from a
 * property the customer could set.
 */

export interface StackArn {
  partition: 'aws' | 'aws-cn' | 'aws-us-gov';
  region: string;
  accountId: string;
  stackName: string;
  stackUuid: string;
}

const STACK_ARN_PATTERN =
  /^arn:(aws|aws-cn|aws-us-gov):cloudformation:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):stack\/([A-Za-z][A-Za-z0-9-]{0,127})\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Parses a stack ARN; undefined when it is not one (wrong service, malformed account, …). */
export function parseStackArn(value: string): StackArn | undefined {
  const match = STACK_ARN_PATTERN.exec(value);
  if (!match) return undefined;
  const [, partition, region, accountId, stackName, stackUuid] = match;
  return {
    partition: partition as StackArn['partition'],
    region: region!,
    accountId: accountId!,
    stackName: stackName!,
    stackUuid: stackUuid!,
  };
}
