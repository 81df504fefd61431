/**
 * Deployment settings, read once from CDK context (cdk.json, or `-c key=value`) and the environment the
 * CDK CLI provides, validated with one error that names every bad setting.
 */
import * as logs from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import {
  ACCOUNT_ID_PATTERN,
  REGION_PATTERN,
  STAGE_MESSAGE,
  STAGE_PATTERN,
} from '#shared/domain/identifiers.ts';
import {
  DEFAULT_VALIDATOR_RESERVED_CONCURRENCY,
  MIN_VALIDATOR_RESERVED_CONCURRENCY,
  validatorConcurrencyProblem,
} from '#shared/onboarding/pending-caps.ts';

/** Context values arrive as JSON from cdk.json and as strings from `-c`: accept both for lists. */
const list = (item: z.ZodString) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter(Boolean)
        : (value ?? []),
    z.array(item),
  );

const settingsSchema = z.object({
  stage: z.string().regex(STAGE_PATTERN, STAGE_MESSAGE),
  /**
   * The provider account the stacks deploy to and the customer template trusts; empty: the CDK CLI's
   * account. Also read by `npm run template`, so the printed template matches the deployed one.
   */
  providerAccountId: z
    .string()
    .refine((value) => value === '' || ACCOUNT_ID_PATTERN.test(value), 'must be a 12-digit AWS account id')
    .default(''),
  /** The region of the core (table, bus, functions). */
  homeRegion: z.string().regex(REGION_PATTERN, 'must be an AWS region name'),
  /** Further regions customers launch stacks in: each gets a thin ingress stack with its own topic. */
  ingressRegions: list(z.string().regex(REGION_PATTERN, 'must list AWS region names')),
  /** Only principals of this AWS Organization may publish registrations (empty: any account). */
  allowedPrincipalOrgId: z
    .string()
    .regex(/^(o-[a-z0-9]{10,32})?$/, 'must be an AWS Organization id (o-…)')
    .default(''),
  /** Only these accounts may publish registrations (empty: any account). */
  allowedCustomerAccounts: list(z.string().regex(ACCOUNT_ID_PATTERN, 'must list 12-digit AWS account ids')),
  /**
   * Let customer accounts (the same Organization / account list as the topics) forward their own
   * "CloudFormation Stack Status Change" events to the Keyless bus, so a stack deleted without its
   * custom resource answering still revokes. Off by default: forwarding needs a rule in each customer
   * account, and the bus accepts nothing from outside until it is on.
   */
  acceptForwardedStackEvents: z
    .preprocess((value) => (typeof value === 'string' ? value === 'true' : value), z.boolean())
    .default(false),
  /** Caps the registration callback, so a flood of (possibly forged) requests cannot starve the account. */
  callbackReservedConcurrency: z.coerce.number().int().min(1).max(1000).default(10),
  /**
   * Caps the role validator, so unproven registrations cannot spend the account's concurrency and STS
   * quota; large enough for an organization's share (shared/onboarding/pending-caps.ts).
   */
  validatorReservedConcurrency: z.coerce
    .number()
    .int()
    .min(MIN_VALIDATOR_RESERVED_CONCURRENCY, validatorConcurrencyProblem(0))
    .max(1000)
    .default(DEFAULT_VALIDATOR_RESERVED_CONCURRENCY),
  logRetentionDays: z.coerce
    .number()
    .refine(
      (days) => Object.values(logs.RetentionDays).includes(days),
      'must be a CloudWatch Logs retention (e.g. 30, 90, 365)',
    )
    .default(90),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** How long a customer stack waits for the registration answer (the template's ServiceTimeout). */
  serviceTimeoutSeconds: z.coerce.number().int().min(60).max(3600).default(900),
  setupTtlDays: z.coerce.number().int().positive().default(7),
  legacyGraceDays: z.coerce.number().int().positive().default(90),
  reminderIntervalDays: z.coerce.number().int().positive().default(7),
});

export type KeylessSettings = z.output<typeof settingsSchema>;

/** Reads the settings from a context lookup; `homeRegion` falls back to the CLI's region, then us-east-1. */
export function readSettings(
  context: (key: string) => unknown,
  env: Record<string, string | undefined> = process.env,
  /** The provider config's `deployment` settings: what one deploy's `-c key=value` overrides. */
  fromConfig: Record<string, unknown> = {},
): KeylessSettings {
  const keys = Object.keys(settingsSchema.shape);
  const raw = Object.fromEntries(
    keys.map((key) => [key, blankToUndefined(context(key)) ?? blankToUndefined(fromConfig[key])]),
  );
  raw.stage ??= 'dev';
  raw.homeRegion ??= env.CDK_DEFAULT_REGION ?? env.AWS_REGION ?? 'us-east-1';
  const result = settingsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new Error(
      `Invalid Keyless deployment settings (keyless.config.json "deployment", or -c): ${problems.join('; ')}.`,
    );
  }
  const settings = result.data;
  return {
    ...settings,
    ingressRegions: [...new Set(settings.ingressRegions)].filter((r) => r !== settings.homeRegion),
  };
}

function blankToUndefined(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}
