/**
 * Configuration in one typed module: each function declares the variables it needs and gets
 * them validated at cold start, with an error that names the variable and what is wrong.
 */
import * as z from 'zod/mini';
import { templateCatalogueSchema } from './customer-template/catalogue.ts';
import {
  ACCOUNT_ID_MESSAGE,
  ACCOUNT_ID_PATTERN,
  REGION_MESSAGE,
  REGION_PATTERN,
} from './domain/identifiers.ts';
import { ConfigurationError } from './errors.ts';
import { DEFAULT_VALIDATOR_RESERVED_CONCURRENCY } from './onboarding/pending-caps.ts';
import { permissionChecksSchema } from './permissions/checks.ts';
import { bundledVariables } from './wiring/bundled-variables.ts';
import { FUNCTIONS, type FunctionName } from './wiring/function-catalogue.ts';
// Every function loads its configuration at cold start: this sets zod's English messages for it.
import './zod-locale.ts';

const nonEmpty = (what: string) =>
  z.string({ error: `is required (${what})` }).check(z.trim(), z.minLength(1, `must not be empty (${what})`));
const positiveInt = (what: string, fallback: number) =>
  z._default(
    z.coerce
      .number({ error: `must be a number (${what})` })
      .check(z.int(`must be a whole number (${what})`), z.positive(`must be positive (${what})`)),
    fallback,
  );

/** Every variable Keyless reads, with what it is for; functions pick the ones they need. */
export const environmentVariables = {
  TABLE_NAME: nonEmpty('the Keyless DynamoDB table name'),
  EVENT_BUS_NAME: nonEmpty('the Keyless EventBridge bus name'),
  POWERTOOLS_SERVICE_NAME: z._default(z.string().check(z.trim(), z.minLength(1)), 'keyless'),
  PROVIDER_ACCOUNT_ID: z
    .string({ error: 'is required (the provider AWS account id)' })
    .check(z.regex(ACCOUNT_ID_PATTERN, ACCOUNT_ID_MESSAGE)),
  SETUP_TTL_DAYS: positiveInt('days a setup stays open', 7),
  /** Sizes the organization setups' share of the validator (shared/onboarding/pending-caps.ts). */
  VALIDATOR_RESERVED_CONCURRENCY: positiveInt(
    'the role validator’s reserved concurrency',
    DEFAULT_VALIDATOR_RESERVED_CONCURRENCY,
  ),
  CREDENTIAL_REFRESH_BUFFER_SECONDS: positiveInt(
    'seconds before expiry that cached credentials are refreshed',
    300,
  ),
  REVOCATION_STALENESS_SECONDS: z._default(
    z.coerce
      .number({
        error: 'must be a number (seconds a cached connection status may be trusted; 0 = re-read every vend)',
      })
      .check(z.int(), z.gte(0, 'must be 0 or more')),
    0,
  ),
  REVOCATION_MODE: z.optional(
    z.enum(['strict', 'feed', 'bounded'], {
      error: 'must be strict, feed or bounded (how the broker sees revocation)',
    }),
  ),
  REVOCATION_FEED_INTERVAL_SECONDS: z._default(
    z.coerce
      .number({ error: 'must be a number (seconds between two polls of the revocation feed)' })
      .check(z.gte(0.05, 'must be at least 0.05')),
    1,
  ),
  LEGACY_GRACE_DAYS: positiveInt('days a legacy access-key connection may run before reminders start', 90),
  REMINDER_INTERVAL_DAYS: positiveInt('days between two reminders for one connection', 7),
  TEMPLATE_URL: z.url({ error: 'must be an https URL (where the customer template is published)' }),
  REGISTRATION_TOPIC_ARNS: z.pipe(
    z.string({ error: 'is required (JSON map of region to registrations topic ARN)' }),
    z.transform((value, ctx) => {
      try {
        return z.record(z.string(), z.string().check(z.startsWith('arn:'))).parse(JSON.parse(value));
      } catch {
        ctx.issues.push({
          code: 'custom',
          message: 'must be a JSON object of region → SNS topic ARN',
          input: value,
        });
        return z.NEVER;
      }
    }),
  ),
  HOME_REGION: z
    .string({ error: 'is required (the region of the Keyless core)' })
    .check(z.regex(REGION_PATTERN, REGION_MESSAGE)),
  /** What a customer's stack name starts with (shared/onboarding/setups.ts). */
  CUSTOMER_STACK_NAME_PREFIX: z._default(
    z
      .string()
      .check(
        z.regex(
          /^[a-z][a-z0-9-]{0,39}$/,
          'must be a lower-case letter, then up to 39 letters, digits or dashes',
        ),
      ),
    'keyless',
  ),
  /** The template catalogue (shared/customer-template/catalogue.ts), as JSON; bundled, not in the environment. */
  TEMPLATE_CATALOGUE: z.pipe(
    z.string({ error: 'is required (the customer template catalogue, compiled into the bundle)' }),
    z.transform((value, ctx) => {
      try {
        return templateCatalogueSchema.parse(JSON.parse(value));
      } catch {
        ctx.issues.push({
          code: 'custom',
          message: 'must be the JSON of a template catalogue',
          input: value,
        });
        return z.NEVER;
      }
    }),
  ),
  /** What the permission check proves (shared/permissions/checks.ts), as JSON; bundled, not in the environment. */
  PERMISSION_CHECKS: z.pipe(
    z._default(z.string(), '[]'),
    z.transform((value, ctx) => {
      try {
        return permissionChecksSchema.parse(JSON.parse(value));
      } catch {
        ctx.issues.push({
          code: 'custom',
          message: 'must be the JSON of a list of permission checks',
          input: value,
        });
        return z.NEVER;
      }
    }),
  ),
  /** The role validator, which the credential broker asks to re-check a role that keeps denying it. */
  REVALIDATION_FUNCTION_NAME: z.optional(z.string().check(z.trim(), z.minLength(1))),
} as const;

type Variables = typeof environmentVariables;
export type ConfigFor<K extends keyof Variables> = { [P in K]: z.output<Variables[P]> };

/**
 * Reads and validates the named variables. Throws one ConfigurationError listing every
 * missing or invalid one, e.g. `TABLE_NAME is required (the Keyless DynamoDB table name)`.
 */
export function loadConfig<K extends keyof Variables>(
  names: readonly K[],
  env: Record<string, string | undefined> = process.env,
): ConfigFor<K> {
  const shape = Object.fromEntries(names.map((name) => [name, environmentVariables[name]]));
  const result = z
    .object(shape)
    .safeParse(Object.fromEntries(names.map((n) => [n, env[n] === '' ? undefined : env[n]])));
  if (result.success) return result.data as ConfigFor<K>;
  const problems = result.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`);
  throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}.`);
}

/** Variables every function has, whatever the catalogue says: the runtime construct sets them. */
const EVERY_FUNCTION = ['POWERTOOLS_SERVICE_NAME'] as const;

type BundledOf<N extends FunctionName> = (typeof FUNCTIONS)[N] extends {
  bundled: readonly (infer B)[];
}
  ? B & keyof Variables
  : never;

export type FunctionConfig<N extends FunctionName> = ConfigFor<
  (typeof FUNCTIONS)[N]['environment'][number] | BundledOf<N> | (typeof EVERY_FUNCTION)[number]
>;

/**
 * The validated environment of one catalogued function: the variables its catalogue entry
 * declares (shared/wiring/function-catalogue.ts), and no others, so a variable the deployed
 * function would lack is missing locally and in tests too. In Lambda, the variables the entry
 * bundles come compiled into the code (bundled-variables.ts).
 */
export function loadFunctionConfig<N extends FunctionName>(
  name: N,
  env: Record<string, string | undefined> = { ...bundledVariables(), ...process.env },
): FunctionConfig<N> {
  const spec: { environment: readonly string[]; bundled?: readonly string[] } = FUNCTIONS[name];
  const names = [...spec.environment, ...(spec.bundled ?? []), ...EVERY_FUNCTION] as (keyof Variables)[];
  return loadConfig(names, env) as FunctionConfig<N>;
}
