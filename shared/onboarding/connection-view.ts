/** What the API shows of a connection: never the External ID, a secret reference or a pre-signed URL. */
import {
  type Connection,
  type ConnectionPermissions,
  type ConnectionSource,
  sourceOf,
} from '../domain/connection.ts';
import { type StackUpgrade, stackUpgradeOf, type UpgradeContext } from './template-upgrade.ts';

export interface ConnectionView {
  accountId: string;
  status: Connection['status'];
  authMethod: Connection['authMethod'];
  /** How it was registered: CloudFormation, the registration API or Terraform. */
  source: ConnectionSource;
  roleArn?: string;
  stackId?: string;
  lastError?: string;
  validatedAt?: string;
  /** A role change, rotation or migration is waiting for validation. */
  changePending: boolean;
  /** The template version the connection's stack runs (its TemplateVersion). */
  templateVersion?: string;
  /** Present when the stack runs an older template than the current one: how to update it. */
  upgrade?: StackUpgrade;
  /** The last permission check: what the role cannot do, and which policy layer denies it. */
  permissions?: ConnectionPermissions;
  createdAt: string;
  updatedAt: string;
}

export function toConnectionView(connection: Connection, upgrades?: UpgradeContext): ConnectionView {
  const role = connection.authMethod === 'ROLE' ? connection : undefined;
  const pending = connection as Partial<
    Record<'pendingAnswer' | 'pendingRoleArn' | 'pendingExternalId', unknown>
  >;
  const stackId = (connection as { stackId?: string }).stackId;
  const upgrade = upgrades ? stackUpgradeOf(connection, upgrades) : undefined;
  return {
    accountId: connection.accountId,
    status: connection.status,
    authMethod: connection.authMethod,
    source: sourceOf(connection),
    ...(role ? { roleArn: role.roleArn } : {}),
    ...(role && stackId ? { stackId } : {}),
    ...(connection.lastError ? { lastError: connection.lastError } : {}),
    ...(role?.validatedAt ? { validatedAt: role.validatedAt } : {}),
    changePending: Boolean(pending.pendingAnswer ?? pending.pendingRoleArn ?? pending.pendingExternalId),
    ...(role?.templateVersion ? { templateVersion: role.templateVersion } : {}),
    ...(upgrade ? { upgrade } : {}),
    ...(role?.permissions ? { permissions: role.permissions } : {}),
    createdAt: connection.createdAt,
    updatedAt: connection.updatedAt,
  };
}
