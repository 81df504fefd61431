/**
 * Reads a legacy connection's access keys from Secrets Manager, cached for `maxAgeSeconds`. The
 * secret's JSON holds `accessKeyId`, `secretAccessKey` and an optional `sessionToken`. No error
 * or log line ever carries a key: a bad secret is reported by field name only (invariant 6).
 */
import { GetSecretValueCommand, type GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import type { LegacyKeyReader, LegacyKeys } from './types.ts';

/** Default cache lifetime; a rotated key is picked up within this many seconds. */
export const LEGACY_KEYS_MAX_AGE_SECONDS = 300;

/** The one Secrets Manager call the reader makes; a `SecretsManagerClient` is one. */
export interface SecretsManagerReads {
  send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput>;
}

/** The secret is missing, unreadable, or not `{ accessKeyId, secretAccessKey, sessionToken? }`. */
export class LegacySecretError extends Error {
  override readonly name = 'LegacySecretError';
}

export function createSecretsManagerKeyReader({
  client,
  maxAgeSeconds = LEGACY_KEYS_MAX_AGE_SECONDS,
  clock = Date.now,
}: {
  client: SecretsManagerReads;
  maxAgeSeconds?: number;
  clock?: () => number;
}): LegacyKeyReader {
  const cache = new Map<string, { keys: LegacyKeys; readAt: number }>();
  return {
    async read(secretRef) {
      const cached = cache.get(secretRef);
      if (cached && clock() - cached.readAt < maxAgeSeconds * 1000) return cached.keys;
      let output: GetSecretValueCommandOutput;
      try {
        output = await client.send(new GetSecretValueCommand({ SecretId: secretRef }));
      } catch (cause) {
        // SDK errors (AccessDenied, ResourceNotFound…) never carry the secret's value.
        throw new LegacySecretError(`Secret ${secretRef} could not be read.`, { cause });
      }
      if (typeof output.SecretString !== 'string') {
        throw new LegacySecretError(`Secret ${secretRef} holds no SecretString.`);
      }
      const keys = parseLegacyKeys(output.SecretString, secretRef);
      cache.set(secretRef, { keys, readAt: clock() });
      return keys;
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
  const value = (json ?? {}) as Record<string, unknown>;
  const { accessKeyId, secretAccessKey, sessionToken } = value;
  const bad: string[] = [];
  if (typeof accessKeyId !== 'string' || !/^[A-Z0-9]{16,128}$/.test(accessKeyId)) bad.push('accessKeyId');
  if (typeof secretAccessKey !== 'string' || secretAccessKey.length < 16 || secretAccessKey.length > 1024) {
    bad.push('secretAccessKey');
  }
  if (sessionToken !== undefined && (typeof sessionToken !== 'string' || sessionToken.length === 0)) {
    bad.push('sessionToken');
  }
  if (typeof json !== 'object' || json === null || bad.length > 0) {
    throw new LegacySecretError(
      `Secret ${secretRef} does not hold valid { accessKeyId, secretAccessKey, sessionToken? }: check ${bad.join(', ') || '(root)'}.`,
    );
  }
  return {
    accessKeyId: accessKeyId as string,
    secretAccessKey: secretAccessKey as string,
    ...(typeof sessionToken === 'string' ? { sessionToken } : {}),
  };
}
