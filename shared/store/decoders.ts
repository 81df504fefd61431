/**
 * From a raw DynamoDB item to a domain object: the storage-only attributes (keys, index keys, TTL,
 * type) are stripped, and the fields the store and its callers rely on are checked, so a corrupt
 * item fails here with a CorruptItemError naming its key and the field, instead of flowing on.
 * Plain checks rather than a schema: these run on every read, the broker's per-vend read included.
 */
import type { AuditEntry } from '../domain/audit.ts';
import {
  AUTH_METHODS,
  CONNECTION_STATUSES,
  type Connection,
  type ConnectionAccess,
  type LegacyConnection,
} from '../domain/connection.ts';
import { SETUP_SCOPES, SETUP_STATUSES, type Setup } from '../domain/setup.ts';
import { LEGACY_INDEX, TABLE_KEYS, TTL_ATTRIBUTE } from './table-definition.ts';

/** An item as the document client returns it. */
export type StoredItem = Record<string, unknown>;

/** A stored item does not have the shape its kind requires; `key` is its primary key, `field` the culprit. */
export class CorruptItemError extends Error {
  override readonly name = 'CorruptItemError';
  constructor(
    readonly key: string,
    readonly field: string,
    problem: string,
  ) {
    super(`Corrupt item (${key}): ${field} ${problem}.`);
  }
}

const STORAGE_ONLY = new Set<string>([
  TABLE_KEYS.partitionKey,
  TABLE_KEYS.sortKey,
  LEGACY_INDEX.partitionKey,
  LEGACY_INDEX.sortKey,
  TTL_ATTRIBUTE,
  'type',
]);

function stripStorage(item: StoredItem): StoredItem {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !STORAGE_ONLY.has(k)));
}

// Each check reads one field of `item`; on failure it names the key found in `keySource` (the raw
// item, or the key it was read with when a projection or a merge carries no key attributes).

function fail(keySource: StoredItem, field: string, problem: string): never {
  const key = `${String(keySource[TABLE_KEYS.partitionKey])}, ${String(keySource[TABLE_KEYS.sortKey])}`;
  throw new CorruptItemError(key, field, problem);
}

/** Only the type of a wrong value is named: a field may hold something that must not reach a log. */
const wrongType = (value: unknown, expected: string) =>
  value === undefined ? 'is missing' : `is ${value === null ? 'null' : typeof value}, not ${expected}`;

function text(item: StoredItem, field: string, keySource: StoredItem): string {
  const value = item[field];
  return typeof value === 'string' ? value : fail(keySource, field, wrongType(value, 'a string'));
}

function optionalText(item: StoredItem, field: string, keySource: StoredItem): string | undefined {
  return item[field] === undefined ? undefined : text(item, field, keySource);
}

function integer(item: StoredItem, field: string, keySource: StoredItem): number {
  const value = item[field];
  return typeof value === 'number' && Number.isInteger(value)
    ? value
    : fail(keySource, field, wrongType(value, 'an integer'));
}

function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return (allowed as readonly unknown[]).includes(value);
}

function oneOf<T extends string>(
  item: StoredItem,
  field: string,
  allowed: readonly T[],
  keySource: StoredItem,
): T {
  const value = item[field];
  if (isOneOf(value, allowed)) return value;
  if (value === undefined) return fail(keySource, field, 'is missing');
  // An enum field holds a status word, never a secret: its value may be named (cut short).
  const found =
    typeof value === 'string' ? `is "${value.slice(0, 40)}"` : `is ${value === null ? 'null' : typeof value}`;
  return fail(keySource, field, `${found}, not one of ${allowed.join(', ')}`);
}

const CONNECTION_TEXT_FIELDS = [
  'revokedAt',
  'offersValidAfter',
  'lastError',
  'roleArn',
  'externalId',
  'stackId',
  'setupId',
  'validatedAt',
  'pendingExternalId',
  'pendingRoleArn',
  'pendingSetupId',
  'templateVersion',
  'pendingTemplateVersion',
  'upgradeNotifiedVersion',
  'secretRef',
  'lastRemindedAt',
  'organizationId',
] as const;

/**
 * Required: key, status, version, auth method and timestamps, which every conditional write and
 * the state machine depend on. The auth method's own fields (role, External ID, secret) are
 * checked only for their type: a connection missing them must stay readable so it can be revoked,
 * and the broker refuses to vend for it (ConnectionMisconfiguredError).
 */
function assertConnection(item: StoredItem, keySource: StoredItem): asserts item is StoredItem & Connection {
  text(item, 'customerId', keySource);
  text(item, 'accountId', keySource);
  oneOf(item, 'status', CONNECTION_STATUSES, keySource);
  integer(item, 'version', keySource);
  oneOf(item, 'authMethod', AUTH_METHODS, keySource);
  text(item, 'createdAt', keySource);
  text(item, 'updatedAt', keySource);
  for (const field of CONNECTION_TEXT_FIELDS) optionalText(item, field, keySource);
  const answered = item.answeredRequestIds;
  if (
    answered !== undefined &&
    !(Array.isArray(answered) && answered.every((id) => typeof id === 'string'))
  ) {
    fail(keySource, 'answeredRequestIds', 'is not a list of strings');
  }
  const permissions = item.permissions;
  if (
    permissions !== undefined &&
    (permissions === null ||
      typeof permissions !== 'object' ||
      !Array.isArray((permissions as { missing?: unknown }).missing))
  ) {
    fail(keySource, 'permissions', 'is not a permission check (checkedAt, missing, optionalMissing)');
  }
  const pending = item.pendingAnswer;
  if (pending !== undefined && (pending === null || typeof pending !== 'object')) {
    fail(keySource, 'pendingAnswer', wrongType(pending, 'an object'));
  }
}

/** A connection item, or a connection merged from one (`key`: the key it is stored under). */
export function decodeConnection(item: StoredItem, key: StoredItem = item): Connection {
  const connection = stripStorage(item);
  assertConnection(connection, key);
  return connection;
}

export function decodeLegacyConnection(item: StoredItem, key: StoredItem = item): LegacyConnection {
  const connection = decodeConnection(item, key);
  if (connection.authMethod !== 'ACCESS_KEYS') fail(key, 'authMethod', 'is ROLE, not ACCESS_KEYS');
  return connection;
}

/**
 * The broker's projection, read on every vend: the few checks it needs, and a fresh object of
 * exactly the projected fields.
 */
export function decodeConnectionAccess(item: StoredItem, key: StoredItem): ConnectionAccess {
  const access: ConnectionAccess = {
    customerId: text(item, 'customerId', key),
    accountId: text(item, 'accountId', key),
    status: oneOf(item, 'status', CONNECTION_STATUSES, key),
    authMethod: oneOf(item, 'authMethod', AUTH_METHODS, key),
    version: integer(item, 'version', key),
    createdAt: text(item, 'createdAt', key),
  };
  const roleArn = optionalText(item, 'roleArn', key);
  const externalId = optionalText(item, 'externalId', key);
  const secretRef = optionalText(item, 'secretRef', key);
  if (roleArn !== undefined) access.roleArn = roleArn;
  if (externalId !== undefined) access.externalId = externalId;
  if (secretRef !== undefined) access.secretRef = secretRef;
  return access;
}

/** What the sparse legacy index projects, as the reminder job reads it. */
export type LegacyListing = Pick<
  LegacyConnection,
  'customerId' | 'accountId' | 'createdAt' | 'lastRemindedAt' | 'status' | 'version'
>;

export function decodeLegacyListing(item: StoredItem): LegacyListing {
  const lastRemindedAt = optionalText(item, 'lastRemindedAt', item);
  return {
    customerId: text(item, 'customerId', item),
    accountId: text(item, 'accountId', item),
    createdAt: text(item, 'createdAt', item),
    status: oneOf(item, 'status', CONNECTION_STATUSES, item),
    version: integer(item, 'version', item),
    ...(lastRemindedAt ? { lastRemindedAt } : {}),
  };
}

function assertSetup(item: StoredItem, keySource: StoredItem): asserts item is StoredItem & Setup {
  for (const field of ['customerId', 'setupId', 'externalId', 'createdAt', 'expiresAt']) {
    text(item, field, keySource);
  }
  oneOf(item, 'status', SETUP_STATUSES, keySource);
  for (const field of ['region', 'customerName', 'rotatesAccountId', 'usedAt', 'organizationId']) {
    optionalText(item, field, keySource);
  }
  if (item.scope !== undefined) oneOf(item, 'scope', SETUP_SCOPES, keySource);
  if (item.slotVersion !== undefined) integer(item, 'slotVersion', keySource);
  for (const field of ['pendingValidations', 'queuedValidations']) {
    const slots = item[field];
    if (
      slots !== undefined &&
      (slots === null ||
        typeof slots !== 'object' ||
        Array.isArray(slots) ||
        !Object.values(slots).every((until) => typeof until === 'number'))
    ) {
      fail(keySource, field, 'is not a map of account ids to epoch milliseconds');
    }
  }
}

export function decodeSetup(item: StoredItem): Setup {
  const setup = stripStorage(item);
  assertSetup(setup, item);
  return setup;
}

const AUDIT_FROM = ['NONE', ...CONNECTION_STATUSES] as const;

function assertAuditEntry(item: StoredItem, keySource: StoredItem): asserts item is StoredItem & AuditEntry {
  for (const field of ['customerId', 'accountId', 'auditId', 'at', 'actor', 'reason']) {
    text(item, field, keySource);
  }
  oneOf(item, 'from', AUDIT_FROM, keySource);
  oneOf(item, 'to', CONNECTION_STATUSES, keySource);
  integer(item, 'version', keySource);
  optionalText(item, 'sourceEventId', keySource);
}

export function decodeAuditEntry(item: StoredItem): AuditEntry {
  const entry = stripStorage(item);
  assertAuditEntry(entry, item);
  return entry;
}

/** The connection a stack or role link points to. */
export function decodeLinkHolder(item: StoredItem): { customerId: string; accountId: string } {
  return { customerId: text(item, 'customerId', item), accountId: text(item, 'accountId', item) };
}

/**
 * What a ConflictError reports of the item a failed condition found. Not checked: the write
 * already failed, and the error must say so even if the item is corrupt.
 */
export function conflictState(
  current: StoredItem | undefined,
): { status?: string; version?: number } | undefined {
  if (!current) return undefined;
  const { status, version } = current;
  return {
    status: typeof status === 'string' ? status : undefined,
    version: typeof version === 'number' ? version : undefined,
  };
}
