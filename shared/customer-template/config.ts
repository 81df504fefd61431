/**
 * What the customer template is generated from: the provider's account, stage and regions, and the
 * permissions the provider asks of its customers. The CDK stack (which publishes the template) and the
 * local runtime (which "deploys" it for simulated customers) both build it from this one config.
 */
import * as z from 'zod/mini';
import {
  ACCOUNT_ID_MESSAGE,
  ACCOUNT_ID_PATTERN,
  REGION_PATTERN,
  STAGE_MESSAGE,
  STAGE_PATTERN,
} from '../domain/identifiers.ts';
import { permissionSetSchema, providerConfigSchema } from '../provider-config/schema.ts';
import { PARTITIONS, ROLE_NAME_PREFIX_PATTERN } from './names.ts';

/** One IAM policy statement; values may hold CloudFormation intrinsics (`Fn::Sub`, `Ref`) of the customer stack. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | readonly string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * A CDK token stands in for the account when the stack is synthesised without credentials; the bucket
 * deployment resolves it before the template is published.
 */
const CDK_TOKEN = /^\$\{Token\[[\w.-]+\]\}$/;

const statementSchema = z.object({
  Sid: z.optional(z.string().check(z.regex(/^[A-Za-z0-9]+$/, 'Sid must be alphanumeric'))),
  Effect: z.enum(['Allow', 'Deny']),
  Action: z.union([
    z.string().check(z.minLength(1)),
    z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  ]),
  Resource: z.unknown().check(z.refine((value) => value !== undefined, 'Resource is required')),
  Condition: z.optional(z.record(z.string(), z.record(z.string(), z.unknown()))),
});

export const customerTemplateConfigSchema = z.object({
  providerAccountId: z
    .string()
    .check(z.refine((value) => ACCOUNT_ID_PATTERN.test(value) || CDK_TOKEN.test(value), ACCOUNT_ID_MESSAGE)),
  stage: z.string().check(z.regex(STAGE_PATTERN, STAGE_MESSAGE)),
  partition: z._default(z.enum(PARTITIONS), 'aws'),
  /** Regions with a registration topic; a customer stack can be launched in these only. */
  regions: z.array(z.string().check(z.regex(REGION_PATTERN, 'must be an AWS region name'))).check(
    z.minLength(1, 'must name at least one region'),
    z.refine((regions) => new Set(regions).size === regions.length, 'must not repeat a region'),
  ),
  /** Provider role names allowed to assume customer roles; defaults to the validator and broker roles. */
  trustedRoleNames: z.optional(
    z.array(z.string().check(z.regex(/^[\w+=,.@-]{1,64}$/))).check(z.minLength(1)),
  ),
  /** What the provider may do for as long as the stack exists; defaults to a read-only, tag-scoped example. */
  ongoingPolicyStatements: z.optional(z.array(statementSchema).check(z.minLength(1))),
  /** Extra permissions only while the customer keeps SetupPhase=true; defaults to read-only discovery. */
  setupPolicyStatements: z.optional(z.array(statementSchema).check(z.minLength(1))),
  /** How long the customer's stack waits for the registration answer (CloudFormation allows 1–3600 s). */
  serviceTimeoutSeconds: z._default(z.int().check(z.gte(60), z.lte(3600)), 900),
  /**
   * The provider's own permissions, as keyless.config.json writes them (shared/provider-config):
   * managed policies and statements, for as long as the stack exists and for the setup phase.
   * When given, they replace ongoingPolicyStatements and setupPolicyStatements.
   */
  permissions: z.optional(z.object({ ongoing: permissionSetSchema, setupPhase: permissionSetSchema })),
  /** Shown to the customer in the template description, role description and parameter texts. */
  providerName: z._default(providerConfigSchema.shape.providerName, 'Keyless'),
  /** What the customer's role name must start with; defaults to the provider's name (names.ts). */
  roleNamePrefix: z.optional(z.string().check(z.regex(ROLE_NAME_PREFIX_PATTERN))),
  /** The template's version number (version-history.ts derives it from the template's content). */
  templateVersion: z._default(z.int().check(z.gte(1)), 1),
});

export type CustomerTemplateConfig = z.input<typeof customerTemplateConfigSchema>;
export type ResolvedCustomerTemplateConfig = z.output<typeof customerTemplateConfigSchema>;
