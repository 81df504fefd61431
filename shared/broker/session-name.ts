/**
 * Names that make every AssumeRole attributable in the customer's CloudTrail (DESIGN.md §5.7).
 */

import { SESSION_NAME_MAX, SESSION_NAME_PATTERN, toSessionNameChars } from '../domain/sts-limits.ts';
import { ValidationError } from '../errors.ts';

/** The service prefix never takes more than this, so the customer id keeps most of the room. */
const SERVICE_PART_MAX = 20;

/**
 * `<service>-<customerId>-<unix time>`, sanitised to STS's charset and at most 64 characters.
 * The unix time is always kept whole; the customer id keeps as much of its beginning as fits.
 */
export function buildSessionName(service: string, customerId: string, at: number | Date): string {
  const unix = String(Math.floor((typeof at === 'number' ? at : at.getTime()) / 1000));
  const servicePart = toSessionNameChars(service).slice(0, SERVICE_PART_MAX) || 'keyless';
  const room = SESSION_NAME_MAX - servicePart.length - unix.length - 2;
  const customerPart = toSessionNameChars(customerId).slice(0, Math.max(room, 1)) || '-';
  return `${servicePart}-${customerPart}-${unix}`;
}

/**
 * Checks a SourceIdentity (the calling worker's name) against STS's limits: 2–64 characters of
 * `[\w+=,.@-]` (which also rules out the reserved `aws:` prefix). Throws a ValidationError.
 */
export function assertSourceIdentity(value: string): string {
  if (!SESSION_NAME_PATTERN.test(value)) {
    throw new ValidationError(
      `sourceIdentity "${value.slice(0, 80)}" must be 2–64 characters of letters, digits and +=,.@_- (the calling worker's name).`,
      [{ path: 'sourceIdentity', message: 'invalid for STS' }],
    );
  }
  return value;
}
