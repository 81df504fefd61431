/**
 * Names that make every AssumeRole attributable in the customer's CloudTrail
 * (docs/architecture.md §6, invariant 7).
 */
import { createHash } from 'node:crypto';
import { InvalidCredentialRequestError } from './errors.ts';
import { SESSION_NAME_MAX, SESSION_NAME_PATTERN, toSessionNameChars } from './sts-limits.ts';

/** The service prefix never takes more than this, so the customer id keeps most of the room. */
const SERVICE_PART_MAX = 20;
/**
 * Stands before the hash of a customer id that had to be changed to fit. Valid in a session name
 * but never in a customer id (sts-limits.ts), so a hashed part can never equal
 * the plain part of another id.
 */
const HASH_SEPARATOR = ',';
/** 8 base64url characters: 48 bits of SHA-256, all valid in a session name. */
const HASH_LENGTH = 8;

const idHash = (customerId: string) =>
  createHash('sha256').update(customerId, 'utf8').digest('base64url').slice(0, HASH_LENGTH);

/**
 * `<service>-<customerId>-<unix time>`, sanitised to STS's charset and at most 64 characters
 * (docs/architecture.md §6, invariant 7). The unix time is always kept whole. A customer id that
 * fits as it is appears as it is; one that sanitising or truncating would change keeps as much of
 * its beginning as fits and gains `,<hash of the whole id>`, so two customer ids never share a
 * session name (`team:a` and `team-a` would otherwise both read `team-a`).
 */
export function buildSessionName(service: string, customerId: string, at: number | Date): string {
  const unix = String(Math.floor((typeof at === 'number' ? at : at.getTime()) / 1000));
  const servicePart = toSessionNameChars(service).slice(0, SERVICE_PART_MAX) || 'keyless';
  const room = SESSION_NAME_MAX - servicePart.length - unix.length - 2;
  const sanitised = toSessionNameChars(customerId).replaceAll(HASH_SEPARATOR, '-');
  const fitsAsItIs = sanitised.length > 0 && sanitised === customerId && sanitised.length <= room;
  const customerPart = fitsAsItIs
    ? sanitised
    : `${sanitised.slice(0, room - HASH_LENGTH - 1)}${HASH_SEPARATOR}${idHash(customerId)}`;
  return `${servicePart}-${customerPart}-${unix}`;
}

/**
 * Checks a SourceIdentity (the calling worker's name) against STS's limits: 2–64 characters of
 * `[\w+=,.@-]` (which also rules out the reserved `aws:` prefix). Throws an InvalidCredentialRequestError.
 */
export function assertSourceIdentity(value: string): string {
  if (!SESSION_NAME_PATTERN.test(value)) {
    throw new InvalidCredentialRequestError(
      `sourceIdentity "${value.slice(0, 80)}" must be 2–64 characters of letters, digits and +=,.@_- (the calling worker's name).`,
      [{ path: 'sourceIdentity', message: 'invalid for STS' }],
    );
  }
  return value;
}
