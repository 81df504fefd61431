/**
 * Reads a legacy connection's access keys from Secrets Manager through Powertools parameters,
 * cached for `maxAgeSeconds`. The secret's JSON holds `accessKeyId`, `secretAccessKey` and an
 * optional `sessionToken`. Nothing here ever puts a key into an error message or a log line:
 * the secret is parsed by this module (not by Powertools' JSON transform, whose parse error
 * quotes the beginning of the value) and a bad shape is reported by field name only.
 */
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod/mini';

export interface LegacyKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface LegacyKeyReader {
  /** The keys held by the secret (name or ARN); throws LegacySecretError when unreadable. */
  read(secretRef: string): Promise<LegacyKeys>;
}

/** The secret is missing, unreadable, or not `{ accessKeyId, secretAccessKey, sessionToken? }`. */
export class LegacySecretError extends Error {
  override readonly name = 'LegacySecretError';
}

/** Access key ids are upper-case letters and digits (AKIA…/ASIA…), 16–128 characters. */
export const legacyKeysSchema = z.object({
  accessKeyId: z.string().check(z.regex(/^[A-Z0-9]{16,128}$/)),
  secretAccessKey: z.string().check(z.minLength(16), z.maxLength(1024)),
  sessionToken: z.optional(z.string().check(z.minLength(1))),
});

/** Default cache lifetime; a rotated key is picked up within this many seconds. */
export const LEGACY_KEYS_MAX_AGE_SECONDS = 300;

export function createLegacyKeyReader({
  provider,
  maxAgeSeconds = LEGACY_KEYS_MAX_AGE_SECONDS,
}: {
  provider: Pick<SecretsProvider, 'get'>;
  maxAgeSeconds?: number;
}): LegacyKeyReader {
  return {
    async read(secretRef) {
      let raw: unknown;
      try {
        raw = await provider.get(secretRef, { maxAge: maxAgeSeconds });
      } catch (cause) {
        // Powertools wraps the SDK error (AccessDenied, ResourceNotFound…); those never carry the value.
        throw new LegacySecretError(`Secret ${secretRef} could not be read.`, { cause });
      }
      if (typeof raw !== 'string') throw new LegacySecretError(`Secret ${secretRef} holds no SecretString.`);
      return parseLegacyKeys(raw, secretRef);
    },
  };
}

/** Parses the secret's JSON; errors name the offending fields, never their values. */
export function parseLegacyKeys(raw: string, secretRef: string): LegacyKeys {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new LegacySecretError(`Secret ${secretRef} is not JSON.`);
  }
  const parsed = legacyKeysSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    throw new LegacySecretError(
      `Secret ${secretRef} does not hold valid { accessKeyId, secretAccessKey, sessionToken? }: check ${fields.join(', ')}.`,
    );
  }
  return parsed.data;
}
