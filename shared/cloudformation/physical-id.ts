/**
 * The custom resource's PhysicalResourceId: stable per connection (customer, account), so every
 * answer for the resource carries the same id and an Update never looks like a replacement.
 */
import { createHash } from 'node:crypto';
import { externalIdCustomerPart } from '../domain/external-id.ts';

/** `keyless-<customer part>-<accountId>`, e.g. `keyless-acme-corp-111122223333`. */
export function physicalResourceIdFor(customerId: string, accountId: string): string {
  return `keyless-${externalIdCustomerPart(customerId)}-${accountId}`;
}

/**
 * The id used when a request is refused before it names a customer and an account we can trust
 * (malformed StackId or CustomerId). Deterministic per stack and logical resource, so a retried
 * request gets the same answer; it never collides with the id of a real connection.
 */
export function rejectedPhysicalResourceId(stackId: string, logicalResourceId: string): string {
  const digest = createHash('sha256').update(`${stackId}|${logicalResourceId}`, 'utf8').digest('hex');
  return `keyless-rejected-${digest.slice(0, 24)}`;
}
