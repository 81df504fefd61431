/**
 * What the customer template is generated from: the provider's account, stage and regions, and the
 * permissions the provider asks of its customers. The CDK stack (which publishes the template) and the
 * local runtime (which "deploys" it for simulated customers) both build it from this one config.
 */
import * as z from 'zod';
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
  Sid: z
    .string()
    .regex(/^[A-Za-z0-9]+$/, 'Sid must be alphanumeric')
    .optional(),
  Effect: z.enum(['Allow', 'Deny']),
  Action: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  Resource: z.unknown().refine((value) => value !== undefined, 'Resource is required'),
  Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

export const customerTemplateConfigSchema = z.object({
  providerAccountId: z
    .string()
    .refine((value) => ACCOUNT_ID_PATTERN.test(value) || CDK_TOKEN.test(value), ACCOUNT_ID_MESSAGE),
  stage: z.string().regex(STAGE_PATTERN, STAGE_MESSAGE),
  partition: z.enum(PARTITIONS).default('aws'),
  /** Regions with a registration topic; a customer stack can be launched in these only. */
  regions: z
    .array(z.string().regex(REGION_PATTERN, 'must be an AWS region name'))
    .min(1, 'must name at least one region')
    .refine((regions) => new Set(regions).size === regions.length, 'must not repeat a region'),
  /** Provider role names allowed to assume customer roles; defaults to the validator and broker roles. */
  trustedRoleNames: z
    .array(z.string().regex(/^[\w+=,.@-]{1,64}$/))
    .min(1)
    .optional(),
  /** What the provider may do for as long as the stack exists; defaults to a read-only, tag-scoped example. */
  ongoingPolicyStatements: z.array(statementSchema).min(1).optional(),
  /** Extra permissions only while the customer keeps SetupPhase=true; defaults to read-only discovery. */
  setupPolicyStatements: z.array(statementSchema).min(1).optional(),
  /** How long the customer's stack waits for the registration answer (CloudFormation allows 1–3600 s). */
  serviceTimeoutSeconds: z.number().int().min(60).max(3600).default(900),
  /**
   * The provider's own permissions, as keyless.config.json writes them (shared/provider-config):
   * managed policies and statements, for as long as the stack exists and for the setup phase.
   * When given, they replace ongoingPolicyStatements and setupPolicyStatements.
   */
  permissions: z.object({ ongoing: permissionSetSchema, setupPhase: permissionSetSchema }).optional(),
  /** Shown to the customer in the template description, role description and parameter texts. */
  providerName: providerConfigSchema.shape.providerName.default('Keyless'),
  /** What the customer's role name must start with; defaults to the provider's name (names.ts). */
  roleNamePrefix: z.string().regex(ROLE_NAME_PREFIX_PATTERN).optional(),
  /** The template's version number (version-history.ts derives it from the template's content). */
  templateVersion: z.number().int().min(1).default(1),
});

export type CustomerTemplateConfig = z.input<typeof customerTemplateConfigSchema>;
export type ResolvedCustomerTemplateConfig = z.output<typeof customerTemplateConfigSchema>;
