/**
 * The Keyless events on EventBridge: source, detail-types and detail schemas in one place,
 * validated by the publisher before PutEvents and by every consumer on receipt.
 */
import * as z from 'zod';
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
  version: z.number().int().nonnegative(),
  correlationId: z.string().min(1).max(256),
});

const finding = z.object({ action: z.string(), layer: z.string() });
/** What a permission check found (shared/permissions/permission-check.ts). */
const permissionFindings = {
  roleArn: z.string(),
  missing: z.array(finding),
  optionalMissing: z.array(finding),
};

export const detailSchemas = {
  [DETAIL_TYPES.roleRegistered]: base.extend({
    roleArn: z.string(),
    /** Why validation is needed: a new connection, an Update of role/External ID, or a migration off keys. */
    reason: z.enum(['create', 'update', 'upgrade', 'rotation', 'migration', 'revalidation']),
  }),
  [DETAIL_TYPES.roleValidated]: base.extend({ roleArn: z.string() }),
  [DETAIL_TYPES.roleValidationFailed]: base.extend({ roleArn: z.string(), reason: z.string() }),
  [DETAIL_TYPES.integrationStackDeleted]: base.extend({ stackId: z.string() }),
  [DETAIL_TYPES.accessRevoked]: base.extend({ reason: z.string() }),
  [DETAIL_TYPES.migrationReminderDue]: base.extend({
    daysOnAccessKeys: z.number().int().nonnegative(),
    createdAt: z.string(),
    /** Makes the event id of one reminder stable across retries of one run. */
    reminderId: z.string(),
  }),
  /** A connection's stack runs an older template than the current one (once per connection and version). */
  [DETAIL_TYPES.templateUpgradeAvailable]: base.extend({
    stackId: z.string(),
    fromVersion: z.string(),
    toVersion: z.string(),
    /** What the update changes, in plain words (shared/customer-template/versions.ts). */
    changes: z.array(z.string()),
  }),
  /** The daily check found the role missing actions it had (or others than before); status unchanged. */
  [DETAIL_TYPES.permissionsDrifted]: base.extend(permissionFindings),
  /** The role can again do all the provider needs. */
  [DETAIL_TYPES.permissionsRestored]: base.extend(permissionFindings),
} as const satisfies Record<DetailType, z.ZodType>;

export type DetailOf<T extends DetailType> = z.output<(typeof detailSchemas)[T]>;

/** A Keyless event to publish. */
export type KeylessEvent = { [T in DetailType]: { detailType: T; detail: DetailOf<T> } }[DetailType];

/** The EventBridge envelope a consumer Lambda receives for a Keyless event of type T. */
export function eventBridgeEnvelope<T extends DetailType>(detailType: T) {
  return z.object({
    id: z.string(),
    source: z.literal(EVENT_SOURCE),
    'detail-type': z.literal(detailType),
    time: z.string().optional(),
    account: z.string().optional(),
    region: z.string().optional(),
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
  resources: z.array(z.string()).optional(),
  detail: z.object({
    'stack-id': z.string(),
    'status-details': z.object({ status: z.string(), 'status-reason': z.string().optional() }),
  }),
});
