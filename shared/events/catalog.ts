/**
 * The Keyless events on EventBridge: source, detail-types and detail schemas in one place,
 * validated by the publisher before PutEvents and by every consumer on receipt.
 */
import * as z from 'zod/mini';
import { accountIdSchema, customerIdSchema } from '../domain/identifiers.ts';

export const EVENT_SOURCE = 'keyless';

export const DETAIL_TYPES = {
  roleRegistered: 'Role Registered',
  roleValidated: 'Role Validated',
  roleValidationFailed: 'Role Validation Failed',
  integrationStackDeleted: 'Integration Stack Deleted',
  accessRevoked: 'Access Revoked',
  migrationReminderDue: 'Migration Reminder Due',
  templateUpgradeAvailable: 'Template Upgrade Available',
  permissionsDrifted: 'Permissions Drifted',
  permissionsRestored: 'Permissions Restored',
} as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** What every Keyless event carries (docs/architecture.md §5). */
const base = z.object({
  customerId: customerIdSchema,
  accountId: accountIdSchema,
  /** The connection version the event describes. */
  version: z.int().check(z.nonnegative()),
  correlationId: z.string().check(z.minLength(1), z.maxLength(256)),
});

const finding = z.object({ action: z.string(), layer: z.string() });
/** What a permission check found (shared/permissions/permission-check.ts). */
const permissionFindings = {
  roleArn: z.string(),
  missing: z.array(finding),
  optionalMissing: z.array(finding),
};

export const detailSchemas = {
  [DETAIL_TYPES.roleRegistered]: z.extend(base, {
    roleArn: z.string(),
    /** Why validation is needed: a new connection, an Update of role/External ID, or a migration off keys. */
    reason: z.enum(['create', 'update', 'upgrade', 'rotation', 'migration', 'revalidation']),
  }),
  [DETAIL_TYPES.roleValidated]: z.extend(base, { roleArn: z.string() }),
  [DETAIL_TYPES.roleValidationFailed]: z.extend(base, { roleArn: z.string(), reason: z.string() }),
  [DETAIL_TYPES.integrationStackDeleted]: z.extend(base, { stackId: z.string() }),
  [DETAIL_TYPES.accessRevoked]: z.extend(base, { reason: z.string() }),
  [DETAIL_TYPES.migrationReminderDue]: z.extend(base, {
    daysOnAccessKeys: z.int().check(z.nonnegative()),
    createdAt: z.string(),
    /** Makes the event id of one reminder stable across retries of one run. */
    reminderId: z.string(),
  }),
  /** A connection's stack runs an older template than the current one (once per connection and version). */
  [DETAIL_TYPES.templateUpgradeAvailable]: z.extend(base, {
    stackId: z.string(),
    fromVersion: z.string(),
    toVersion: z.string(),
    /** What the update changes, in plain words (shared/customer-template/versions.ts). */
    changes: z.array(z.string()),
  }),
  /** The daily check found the role missing actions it had (or others than before); status unchanged. */
  [DETAIL_TYPES.permissionsDrifted]: z.extend(base, permissionFindings),
  /** The role can again do all the provider needs. */
  [DETAIL_TYPES.permissionsRestored]: z.extend(base, permissionFindings),
} as const satisfies Record<DetailType, z.ZodMiniType>;

export type DetailOf<T extends DetailType> = z.output<(typeof detailSchemas)[T]>;

/** A Keyless event to publish. */
export type KeylessEvent = { [T in DetailType]: { detailType: T; detail: DetailOf<T> } }[DetailType];

/** The EventBridge envelope a consumer Lambda receives for a Keyless event of type T. */
export function eventBridgeEnvelope<T extends DetailType>(detailType: T) {
  return z.object({
    id: z.string(),
    source: z.literal(EVENT_SOURCE),
    'detail-type': z.literal(detailType),
    time: z.optional(z.string()),
    account: z.optional(z.string()),
    region: z.optional(z.string()),
    detail: detailSchemas[detailType],
  });
}

/** "CloudFormation Stack Status Change" as forwarded from a customer account (aws.cloudformation). */
export const stackStatusChangeSchema = z.object({
  id: z.string(),
  source: z.literal('aws.cloudformation'),
  'detail-type': z.literal('CloudFormation Stack Status Change'),
  account: accountIdSchema,
  region: z.string(),
  resources: z.optional(z.array(z.string())),
  detail: z.object({
    'stack-id': z.string(),
    'status-details': z.object({ status: z.string(), 'status-reason': z.optional(z.string()) }),
  }),
});
