/**
 * The provider's own integration, in one file (`keyless.config.json`): the name its customers read,
 * the permissions it asks of them, and the deployment settings. Validated here; `keyless.config.
 * schema.json` is generated from this schema (`npm run config:schema`) so editors complete and check
 * the file (docs/architecture.md §9).
 */
import * as z from 'zod/mini';
import { ROLE_NAME_PREFIX_PATTERN } from '../customer-template/names.ts';
import {
  ACCOUNT_ID_MESSAGE,
  ACCOUNT_ID_PATTERN,
  REGION_MESSAGE,
  REGION_PATTERN,
  STAGE_MESSAGE,
  STAGE_PATTERN,
} from '../domain/identifiers.ts';
import {
  MIN_VALIDATOR_RESERVED_CONCURRENCY,
  validatorConcurrencyProblem,
} from '../onboarding/pending-caps.ts';
import { PROBE_ACTIONS, PROBE_CATALOGUE } from '../permissions/probe-catalogue.ts';

/** `service:Action`, with wildcards inside a service (`s3:Get*`); never a lone `*`. */
export const ACTION_PATTERN = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/;
/** An AWS managed policy, written for the commercial partition; rendered with `${AWS::Partition}`. */
export const MANAGED_POLICY_PATTERN = /^arn:aws:iam::aws:policy\/[\w+=,.@/-]{1,512}$/;

const action = z
  .string()
  .check(
    z.regex(
      ACTION_PATTERN,
      'must be written service:Action (wildcards inside a service, such as s3:Get*, are fine)',
    ),
  );

/**
 * An action of the statement the permission check also probes with one real read-only call
 * (docs/architecture.md §9.4): on `Resource`, a resource the provider knows exists in every
 * customer account, or without it on one that does not exist.
 */
const probeSchema = z
  .strictObject({
    Action: z.enum(PROBE_ACTIONS, {
      error: `must be an action Keyless can probe: ${PROBE_ACTIONS.join(', ')}`,
    }),
    Resource: z.optional(z.string()),
  })
  .check(
    z.superRefine((probe, context) => {
      const kind = PROBE_CATALOGUE[probe.Action];
      if (!kind || probe.Resource === undefined || kind.resourcePattern.test(probe.Resource)) return;
      context.addIssue({
        code: 'custom',
        path: ['Resource'],
        message: `must be one resource of ${probe.Action} in the customer's own account, written ${kind.resourceExample} (no wildcard), or left out to probe a resource that does not exist`,
      });
    }),
  );

const statementSchema = z.strictObject({
  Sid: z.optional(z.string().check(z.regex(/^[A-Za-z0-9]+$/, 'must be alphanumeric'))),
  Effect: z.enum(['Allow', 'Deny'], { error: 'must be "Allow" or "Deny"' }),
  Action: z.union([action, z.array(action).check(z.minLength(1, 'must name at least one action'))], {
    error: 'must be an action or a list of actions, written service:Action',
  }),
  Resource: z.union(
    [z.string().check(z.minLength(1)), z.array(z.string().check(z.minLength(1))).check(z.minLength(1))],
    { error: 'is required: an ARN, "*" or a list of them' },
  ),
  Condition: z.optional(z.record(z.string(), z.record(z.string(), z.unknown()))),
  /**
   * Actions of this statement the provider can live without: the permission checks report them
   * missing without failing the connection. Keyless's own key, never part of the IAM policy.
   */
  OptionalActions: z.optional(z.array(action)),
  /**
   * Actions of this statement the permission check also tries for real, with one cheap read-only
   * call each, to see what IAM's policy simulator cannot (resource control policies, resource-based
   * policies). Keyless's own key, never part of the IAM policy.
   */
  Probes: z.optional(z.array(probeSchema)),
});
export type ProviderStatement = z.output<typeof statementSchema>;

/** The IAM policy statement a provider statement becomes: Keyless's own keys (OptionalActions, Probes) removed. */
export function iamStatement({
  OptionalActions: _optional,
  Probes: _probes,
  ...statement
}: ProviderStatement) {
  return statement;
}

export const permissionSetSchema = z.strictObject({
  managedPolicyArns: z._default(
    z.array(
      z
        .string()
        .check(
          z.regex(MANAGED_POLICY_PATTERN, 'must be an AWS managed policy: arn:aws:iam::aws:policy/<name>'),
        ),
    ),
    [],
  ),
  statements: z._default(z.array(statementSchema), []),
});
export type PermissionSet = z.output<typeof permissionSetSchema>;

/** What cdk.json's context held: one deploy may still override any of it with `-c key=value`. */
export const deploymentSettingsSchema = z.strictObject({
  stage: z.optional(z.string().check(z.regex(STAGE_PATTERN, STAGE_MESSAGE))),
  providerAccountId: z.optional(
    z.string().check(z.refine((value) => value === '' || ACCOUNT_ID_PATTERN.test(value), ACCOUNT_ID_MESSAGE)),
  ),
  homeRegion: z.optional(
    z.string().check(z.refine((value) => value === '' || REGION_PATTERN.test(value), REGION_MESSAGE)),
  ),
  ingressRegions: z.optional(z.array(z.string().check(z.regex(REGION_PATTERN, REGION_MESSAGE)))),
  allowedPrincipalOrgId: z.optional(
    z.string().check(z.regex(/^(o-[a-z0-9]{10,32})?$/, 'must be an AWS Organization id (o-…)')),
  ),
  allowedCustomerAccounts: z.optional(
    z.array(z.string().check(z.regex(ACCOUNT_ID_PATTERN, ACCOUNT_ID_MESSAGE))),
  ),
  acceptForwardedStackEvents: z.optional(z.boolean()),
  callbackReservedConcurrency: z.optional(z.int().check(z.gte(1), z.lte(1000))),
  /** Large enough to prove an organization's accounts (docs/architecture.md §9.7, invariant 10). */
  validatorReservedConcurrency: z.optional(
    z.int().check(z.gte(MIN_VALIDATOR_RESERVED_CONCURRENCY, validatorConcurrencyProblem(0)), z.lte(1000)),
  ),
  logRetentionDays: z.optional(z.int().check(z.positive())),
  logLevel: z.optional(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR'])),
  serviceTimeoutSeconds: z.optional(z.int().check(z.gte(60), z.lte(3600))),
  setupTtlDays: z.optional(z.int().check(z.positive())),
  legacyGraceDays: z.optional(z.int().check(z.positive())),
  reminderIntervalDays: z.optional(z.int().check(z.positive())),
});
export type DeploymentSettings = z.output<typeof deploymentSettingsSchema>;

export const providerConfigSchema = z.strictObject({
  /** Where editors find the JSON Schema; ignored by Keyless. */
  $schema: z.optional(z.string()),
  /** What the customer reads in the template, the role description and the parameter labels. */
  providerName: z
    .string({ error: 'is required: the name your customers know you by' })
    .check(
      z.regex(/^[\w .,:@()+=&'-]{1,60}$/, "must be 1–60 letters, digits, spaces or _ . , : @ ( ) + = & ' -"),
    ),
  /**
   * What every customer role's name starts with; provider roles may assume no other role. Without
   * it, the provider's name in letters and digits. Set it before renaming the provider: roles named
   * with an earlier prefix can no longer be assumed once it changes.
   */
  customerRoleNamePrefix: z.optional(
    z
      .string()
      .check(
        z.regex(
          ROLE_NAME_PREFIX_PATTERN,
          'must start with a letter and hold at most 32 letters, digits or + = , . @ _ -',
        ),
      ),
  ),
  permissions: z.strictObject({
    /** For as long as the customer keeps the stack. */
    ongoing: permissionSetSchema,
    /** Only while the customer keeps the stack's SetupPhase parameter true. */
    setupPhase: z._default(permissionSetSchema, { managedPolicyArns: [], statements: [] }),
  }),
  deployment: z._default(deploymentSettingsSchema, {}),
});
export type ProviderConfig = z.output<typeof providerConfigSchema>;
