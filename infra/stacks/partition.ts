import type { Partition } from '#shared/customer-template/names.ts';

/** The partition a region belongs to: what the customer template's ARNs are written in. */
export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
