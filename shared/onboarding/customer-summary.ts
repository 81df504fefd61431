/**
 * `GET /customers/{customerId}`: one customer at a glance — its connections per status and per
 * auth method, its open setups and its last change (docs/architecture.md §10). Three queries of the
 * customer's own partition, run together.
 */
import {
  AUTH_METHODS,
  CONNECTION_SOURCES,
  CONNECTION_STATUSES,
  type Connection,
  type ConnectionSource,
  sourceOf,
} from '../domain/connection.ts';
import { isSetupAcceptingCallbacks } from '../domain/setup.ts';
import type { OperatorReads } from '../store/operator-reads.ts';
import { type AuditEntryView, toAuditEntryView, unknownCustomer } from './audit-view.ts';
import { toConnectionView } from './connection-view.ts';

export interface CustomerSummary {
  customerId: string;
  connections: {
    total: number;
    /** Every status, zeros included, so a client never has to guess a missing key. */
    byStatus: Record<Connection['status'], number>;
    byAuthMethod: Record<Connection['authMethod'], number>;
    /** Connections with a role change, rotation or migration waiting for validation. */
    changePending: number;
    /** By how they came: CloudFormation, the registration API, Terraform. */
    bySource: Record<ConnectionSource, number>;
    /** Role connections proven as members of an organization, by organization (docs/architecture.md §9.7). */
    byOrganization: Record<string, number>;
    /** Role connections by the template version their stack runs; `unknown` when it reported none. */
    byTemplateVersion: Record<string, number>;
  };
  /** Setups that still accept a stack's callback (not expired, not a used rotation). */
  openSetups: number;
  /** The latest audit entry, absent when nothing has changed yet. */
  lastChange?: AuditEntryView;
}

const zeros = <K extends string>(names: readonly K[]) =>
  Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;

export async function summarizeCustomer(
  reads: Pick<OperatorReads, 'allConnections' | 'allSetups' | 'lastAuditEntry'>,
  customerId: string,
  now: Date,
): Promise<CustomerSummary> {
  const [connections, setups, last] = await Promise.all([
    reads.allConnections(customerId),
    reads.allSetups(customerId),
    reads.lastAuditEntry(customerId),
  ]);
  // Every item under the customer's key is one of these three kinds: none at all is an unknown customer.
  if (connections.length === 0 && setups.length === 0 && !last) throw unknownCustomer(customerId);
  const byStatus = zeros(CONNECTION_STATUSES);
  const byAuthMethod = zeros(AUTH_METHODS);
  const bySource = zeros(CONNECTION_SOURCES);
  const byOrganization: Record<string, number> = {};
  const byTemplateVersion: Record<string, number> = {};
  let changePending = 0;
  for (const connection of connections) {
    byStatus[connection.status] += 1;
    byAuthMethod[connection.authMethod] += 1;
    if (toConnectionView(connection).changePending) changePending += 1;
    bySource[sourceOf(connection)] += 1;
    if (connection.authMethod !== 'ROLE') continue;
    const { organizationId } = connection as { organizationId?: string };
    if (organizationId) byOrganization[organizationId] = (byOrganization[organizationId] ?? 0) + 1;
    const version = connection.templateVersion ?? 'unknown';
    byTemplateVersion[version] = (byTemplateVersion[version] ?? 0) + 1;
  }
  return {
    customerId,
    connections: {
      total: connections.length,
      byStatus,
      byAuthMethod,
      changePending,
      bySource,
      byOrganization,
      byTemplateVersion,
    },
    openSetups: setups.filter((setup) => isSetupAcceptingCallbacks(setup, now)).length,
    ...(last ? { lastChange: toAuditEntryView(last) } : {}),
  };
}
