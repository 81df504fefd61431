/**
 * `GET /setups/{setupId}`: an offer and every account registered through it, with its status and, on
 * failure, the reason the customer can act on, for the provider's product to poll and show
 * (docs/architecture.md §9.6). Never the External ID.
 */
import { sourceOf } from '../domain/connection.ts';
import { NotFoundError } from '../errors.ts';
import type { ConnectionStore } from '../store/connection-store.ts';

export async function describeSetup(
  store: Pick<ConnectionStore, 'findSetup' | 'listAllConnections'>,
  setupId: string,
) {
  const setup = await store.findSetup(setupId);
  if (!setup) throw new NotFoundError(`No setup ${setupId}.`);
  const connections = await store.listAllConnections(setup.customerId);
  const registered = connections.filter(
    (connection) =>
      connection.authMethod === 'ROLE' &&
      (connection.setupId === setupId || connection.pendingSetupId === setupId),
  );
  return {
    setupId,
    customerId: setup.customerId,
    status: setup.status,
    createdAt: setup.createdAt,
    expiresAt: setup.expiresAt,
    ...(setup.rotatesAccountId ? { rotatesAccountId: setup.rotatesAccountId } : {}),
    ...(setup.scope ? { scope: setup.scope } : {}),
    ...(setup.organizationId ? { organizationId: setup.organizationId } : {}),
    registrations: registered.map((connection) => ({
      accountId: connection.accountId,
      status: connection.status,
      source: sourceOf(connection),
      ...(connection.authMethod === 'ROLE' ? { roleArn: connection.roleArn } : {}),
      ...('pendingAnswer' in connection && connection.pendingAnswer ? { validationPending: true } : {}),
      ...(connection.lastError ? { reason: connection.lastError } : {}),
      ...(connection.authMethod === 'ROLE' && connection.validatedAt
        ? { validatedAt: connection.validatedAt }
        : {}),
    })),
  };
}
