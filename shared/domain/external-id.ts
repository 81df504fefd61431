import { createHash, randomBytes } from 'node:crypto';
import { RandomnessUnavailableError } from '../errors.ts';
import { EXTERNAL_ID_PATTERN } from './sts-limits.ts';

/** 16 bytes = 128 bits of CSPRNG output, hex-encoded (32 chars). */
const RANDOM_BYTES = 16;
const CUSTOMER_PART_MAX = 32;
const SAFE_CUSTOMER_PART = new RegExp(`^[a-z0-9]{1,${CUSTOMER_PART_MAX}}(?:-[a-z0-9]+)*$`);

export interface ExternalIdOptions {
  /** Service prefix, e.g. "keyless"; must itself be made of `[a-z0-9]`. */
  service?: string;
  /** The source of secure random bytes; only tests replace it. */
  randomSource?: (size: number) => Buffer;
}

/**
 * The customer part of an External ID: readable when the id is already tame (lowercase letters,
 * digits, single dashes, ≤32 chars), otherwise a hash of it, so no input can break STS's charset
 * or length limits and two different ids never collapse to the same readable form.
 */
export function externalIdCustomerPart(customerId: string): string {
  const lower = customerId.toLowerCase();
  if (lower === customerId && lower.length <= CUSTOMER_PART_MAX && SAFE_CUSTOMER_PART.test(lower))
    return lower;
  return `h${createHash('sha256').update(customerId, 'utf8').digest('hex').slice(0, 16)}`;
}

/**
 * A new External ID `<service>-<customer part>-<32 hex>`: 128 bits from the CSPRNG. Throws
 * RandomnessUnavailableError when secure randomness fails; there is no predictable fallback.
 */
export function generateExternalId(customerId: string, options: ExternalIdOptions = {}): string {
  const service = options.service ?? 'keyless';
  if (!/^[a-z0-9]{1,32}$/.test(service)) throw new Error(`Invalid External ID service prefix "${service}".`);
  let random: Buffer;
  try {
    random = (options.randomSource ?? randomBytes)(RANDOM_BYTES);
  } catch (cause) {
    throw new RandomnessUnavailableError(
      'Secure randomness is unavailable; refusing to issue an External ID.',
      {
        cause,
      },
    );
  }
  if (!Buffer.isBuffer(random) || random.length !== RANDOM_BYTES) {
    throw new RandomnessUnavailableError('The random source returned too few bytes for an External ID.');
  }
  const externalId = `${service}-${externalIdCustomerPart(customerId)}-${random.toString('hex')}`;
  // Unreachable by construction; kept so a future format change cannot silently break STS limits.
  if (!EXTERNAL_ID_PATTERN.test(externalId)) throw new Error('Generated External ID violates STS limits.');
  return externalId;
}
