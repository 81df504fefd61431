/**
 * Migration phase 2: bring a customer who still hands us access keys under Keyless. The keys go
 * to Secrets Manager (CreateSecret, one secret per connection); DynamoDB keeps only the secret's
 * ARN, on an ACTIVE connection indexed in the sparse legacy GSI so the reminder job finds it.
 * Migrating off keys is the normal setup: once the customer's role is validated, the connection
 * switches to ROLE (secretRef and the index keys removed) and the secret is retired here.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import type { LegacyConnection } from '../domain/connection.ts';
import { externalIdCustomerPart } from '../domain/external-id.ts';
import { accountIdSchema, customerIdSchema } from '../domain/identifiers.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import type { ConnectionStore } from '../store/connection-store.ts';
import { legacyKeysSchema } from './legacy-keys.ts';
import '../zod-locale.ts';

export const LEGACY_SECRET_PREFIX = 'keyless/legacy';

const inputSchema = z.object({
  customerId: customerIdSchema,
  accountId: accountIdSchema,
  keys: legacyKeysSchema,
  /** When the customer started on keys, if earlier than today: the grace period counts from it. */
  createdAt: z.optional(z.iso.datetime()),
});

export type RegisterLegacyInput = z.input<typeof inputSchema>;

export interface RegisterLegacyDependencies {
  store: Pick<ConnectionStore, 'getConnection' | 'createLegacyConnection'>;
  secretsManager: SecretsManagerClient;
  /** A customer-managed KMS key for the secret; the account's default key when omitted. */
  kmsKeyId?: string;
  now?: Date;
}

/**
 * Stores the keys in a new secret and records the legacy connection. Throws ValidationError for
 * bad input (naming fields, never values) and ConflictError when the account is already connected;
 * a secret created for a registration that then loses a race is deleted again.
 */
export async function registerLegacyConnection(
  input: RegisterLegacyInput,
  { store, secretsManager, kmsKeyId, now = new Date() }: RegisterLegacyDependencies,
): Promise<LegacyConnection> {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    // The rule of an identifier is said; of the keys only the field, so no message can echo a key.
    const said = issues.map((i) => (i.path.startsWith('keys') ? i.path : `${i.path} ${i.message}`));
    throw new ValidationError(`Invalid legacy registration: check ${[...new Set(said)].join('; ')}.`, issues);
  }
  const { customerId, accountId, keys } = parsed.data;
  const createdAt = parsed.data.createdAt ? new Date(parsed.data.createdAt).toISOString() : now.toISOString();
  if (createdAt > now.toISOString()) {
    throw new ValidationError('createdAt must not be in the future.', [
      { path: 'createdAt', message: 'in the future' },
    ]);
  }

  const existing = await store.getConnection(customerId, accountId);
  if (existing) {
    throw new ConflictError(
      `Account ${accountId} of ${customerId} is already connected (${existing.authMethod}, ${existing.status}).`,
      { status: existing.status, version: existing.version },
    );
  }

  // A unique name per registration: a retry or a lost race never overwrites a live secret.
  const name = `${LEGACY_SECRET_PREFIX}/${externalIdCustomerPart(customerId)}/${accountId}/${randomUUID().slice(0, 8)}`;
  const created = await secretsManager.send(
    new CreateSecretCommand({
      Name: name,
      Description: `Keyless legacy access keys of ${customerId}, account ${accountId} (migrate to the role).`,
      SecretString: JSON.stringify(keys),
      ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
      Tags: [
        { Key: 'keyless:customerId', Value: customerId },
        { Key: 'keyless:accountId', Value: accountId },
        { Key: 'keyless:purpose', Value: 'legacy-access-keys' },
      ],
    }),
  );
  const secretRef = created.ARN ?? name;

  try {
    return await store.createLegacyConnection(
      {
        customerId,
        accountId,
        authMethod: 'ACCESS_KEYS',
        status: 'ACTIVE',
        version: 1,
        secretRef,
        createdAt,
        updatedAt: now.toISOString(),
      },
      { actor: 'legacy-registration', reason: 'Registered existing access keys (migration phase 2).' },
      now,
    );
  } catch (error) {
    // Only this registration knows the secret: delete it so no orphaned keys stay behind.
    await secretsManager.send(
      new DeleteSecretCommand({ SecretId: secretRef, ForceDeleteWithoutRecovery: true }),
    );
    throw error;
  }
}

/**
 * Retires a legacy secret once its connection has migrated to the role: schedules its deletion
 * (recoverable for `recoveryWindowInDays`, 7–30). Idempotent: a secret already gone is fine.
 */
export async function retireLegacySecret({
  secretsManager,
  secretRef,
  recoveryWindowInDays = 7,
}: {
  secretsManager: SecretsManagerClient;
  secretRef: string;
  recoveryWindowInDays?: number;
}): Promise<void> {
  try {
    await secretsManager.send(
      new DeleteSecretCommand({ SecretId: secretRef, RecoveryWindowInDays: recoveryWindowInDays }),
    );
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return;
    // Already scheduled for deletion is what we want.
    if (error instanceof Error && error.name === 'InvalidRequestException' && /deletion/i.test(error.message))
      return;
    throw error;
  }
}
