/**
 * The last step of a migration off access keys. Once the validator has proven the customer's role, the
 * connection switches to ROLE and forgets its secret reference; the secret itself stays in Secrets
 * Manager until an operator retires it here (`npm run legacy -- retire --customer <id> --account <id>`).
 * The secrets are found by their name prefix and tags, and retired only when the connection no longer
 * uses access keys, so keys in use are never deleted. Deletion is scheduled, recoverable for 7 days.
 */
import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { externalIdCustomerPart } from '../domain/external-id.ts';
import { connectionKeySchema } from '../domain/identifiers.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { parseInput } from '../onboarding/parse-input.ts';
import type { ConnectionStore } from '../store/connection-store.ts';
import { LEGACY_SECRET_PREFIX, retireLegacySecret } from './register-legacy-connection.ts';

export async function retireMigratedLegacySecrets({
  store,
  secretsManager,
  customerId,
  accountId,
}: {
  store: Pick<ConnectionStore, 'getConnection'>;
  secretsManager: SecretsManagerClient;
  customerId: string;
  accountId: string;
}): Promise<string[]> {
  parseInput(connectionKeySchema, { customerId, accountId });
  const connection = await store.getConnection(customerId, accountId);
  if (!connection) throw new NotFoundError(`No connection ${customerId}/${accountId}.`);
  if (connection.authMethod === 'ACCESS_KEYS') {
    throw new ConflictError(
      `${customerId}/${accountId} still uses its access keys: the customer must finish the Keyless setup first.`,
      { status: connection.status, version: connection.version },
    );
  }

  const prefix = `${LEGACY_SECRET_PREFIX}/${externalIdCustomerPart(customerId)}/${accountId}/`;
  const retired: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await secretsManager.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], NextToken }),
    );
    for (const secret of page.SecretList ?? []) {
      const tags = new Map((secret.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
      // The name filter matches by prefix; the tags name the exact connection.
      const ours =
        secret.ARN &&
        secret.Name?.startsWith(prefix) &&
        tags.get('keyless:customerId') === customerId &&
        tags.get('keyless:accountId') === accountId;
      if (!ours) continue;
      await retireLegacySecret({ secretsManager, secretRef: secret.ARN as string });
      retired.push(secret.ARN as string);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return retired;
}
