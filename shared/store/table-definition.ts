/**
 * The Keyless table, defined once: the CDK stack, the local runtime and the tests all build
 * their table from this module, so keys, the sparse legacy index and TTL can never drift apart.
 */

import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { ROLE_ARN_PATTERN } from '../domain/sts-limits.ts';

export const TABLE_KEYS = { partitionKey: 'PK', sortKey: 'SK' } as const;

/**
 * Sparse GSI of customers still on access keys: only legacy connections carry its keys, and
 * they are removed on migration, so the reminder job reads legacy customers and nothing else.
 * The sort key starts with the creation time, so "older than the grace period" is a key condition.
 */
export const LEGACY_INDEX = {
  indexName: 'legacy-by-created',
  partitionKey: 'legacyPK',
  sortKey: 'legacySK',
  /** All legacy connections share one partition value: their count is small by design (1%). */
  partitionValue: 'LEGACY',
  /** Only what the reminder job reads. */
  projectedAttributes: ['customerId', 'accountId', 'createdAt', 'lastRemindedAt', 'status', 'version'],
} as const;

/**
 * Connections by status, for the daily re-validation of live roles: a Query per status instead of
 * a table Scan. Only items carrying `status` appear (connections and setups; never audit entries).
 */
export const STATUS_INDEX = {
  indexName: 'by-status',
  partitionKey: 'status',
  sortKey: TABLE_KEYS.partitionKey,
} as const;

/** Epoch seconds; DynamoDB deletes expired setups on its own (DynamoDB Local accepts but does not enforce it). */
export const TTL_ATTRIBUTE = 'ttl';

/**
 * The partition of the setup API's idempotency records (shared/onboarding/setup-idempotency.ts); here, so
 * the function catalogue names it without bundling Powertools idempotency into every function.
 */
export const SETUP_IDEMPOTENCY_PARTITION = 'IDEMPOTENCY#setups';

export const keys = {
  customer: (customerId: string) => `CUSTOMER#${customerId}`,
  setup: (setupId: string) => `SETUP#${setupId}`,
  connection: (accountId: string) => `CONN#${accountId}`,
  audit: (at: string, auditId: string) => `AUDIT#${at}#${auditId}`,
  legacySort: (createdAt: string, customerId: string, accountId: string) =>
    `${createdAt}#${customerId}#${accountId}`,
  prefix: { setup: 'SETUP#', connection: 'CONN#', audit: 'AUDIT#' },
  /** The migration ledger's partition of one UTC month, `yyyy-mm` (docs/architecture.md §3). */
  migrationMonth: (month: string) => `MIGRATION#${month}`,
} as const;

/** The primary key of each kind of item: the Key of a Get, Update or Delete, and the start of a Put's Item. */
export const itemKeys = {
  connection: (customerId: string, accountId: string) => ({
    [TABLE_KEYS.partitionKey]: keys.customer(customerId),
    [TABLE_KEYS.sortKey]: keys.connection(accountId),
  }),
  setup: (customerId: string, setupId: string) => ({
    [TABLE_KEYS.partitionKey]: keys.customer(customerId),
    [TABLE_KEYS.sortKey]: keys.setup(setupId),
  }),
  audit: (customerId: string, at: string, auditId: string) => ({
    [TABLE_KEYS.partitionKey]: keys.customer(customerId),
    [TABLE_KEYS.sortKey]: keys.audit(at, auditId),
  }),
  /**
   * One line of the migration ledger: a reminder sent or a connection migrated, on a UTC day
   * (`yyyy-mm-dd`), in that month's partition, so a date range is a key condition.
   */
  migrationLedger: (day: string, entry: string) => ({
    [TABLE_KEYS.partitionKey]: keys.migrationMonth(day.slice(0, 7)),
    [TABLE_KEYS.sortKey]: `${day}#${entry}`,
  }),
  /** Which customer a setup id belongs to: how a registration by API finds its setup. */
  setupPointer: (setupId: string) => ({
    [TABLE_KEYS.partitionKey]: `SETUPID#${setupId}`,
    [TABLE_KEYS.sortKey]: 'SETUP',
  }),
  stackLink: (stackId: string) => ({
    [TABLE_KEYS.partitionKey]: `STACK#${stackId}`,
    [TABLE_KEYS.sortKey]: 'STACK',
  }),
  /**
   * Which connection a customer role serves: one role serves one customer (invariant 4). Keyed by
   * partition, account and the role's name in lower case: IAM role names are unique in an account
   * whatever their case or path, so `role/KeylessAccess` and `role/x/keylessaccess` are one role.
   */
  roleLink: (roleArn: string) => ({
    [TABLE_KEYS.partitionKey]: `ROLE#${roleIdentity(roleArn)}`,
    [TABLE_KEYS.sortKey]: 'ROLE',
  }),
};

/** `<partition>:<account>:<role name, lower case>` of a role ARN (the ARN, lower case, if it is not one). */
function roleIdentity(roleArn: string): string {
  const [, partition, account, path = ''] = ROLE_ARN_PATTERN.exec(roleArn) ?? [];
  if (!partition || !account) return roleArn.toLowerCase();
  return `${partition}:${account}:${(path.split('/').pop() ?? '').toLowerCase()}`;
}

/** The CreateTable request for DynamoDB (Local or real): on-demand, keys, sparse GSI. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      { AttributeName: LEGACY_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: LEGACY_INDEX.sortKey, AttributeType: 'S' },
      { AttributeName: STATUS_INDEX.partitionKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: LEGACY_INDEX.indexName,
        KeySchema: [
          { AttributeName: LEGACY_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: LEGACY_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...LEGACY_INDEX.projectedAttributes] },
      },
      {
        IndexName: STATUS_INDEX.indexName,
        KeySchema: [
          { AttributeName: STATUS_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: STATUS_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        // Re-validation needs the whole connection (role, External ID, version).
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
