/**
 * The identifiers that cross Keyless's edges, defined once: the setup API, the custom-resource
 * request, the event schemas, the credential broker, the legacy CLI, the configuration and the
 * template all read their rules from here, so an id one edge accepts is never refused by another
 * (docs/architecture.md §6, invariant 8). Patterns for plain checks, schemas with messages a
 * caller can act on.
 */
import * as z from 'zod/mini';
import { EXTERNAL_ID_PATTERN, ROLE_ARN_PATTERN } from './sts-limits.ts';

/** A 12-digit AWS account id. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/**
 * A customer id as the provider's product names it: 1–128 characters of letters, digits and
 * `_ . @ + = : -`, starting with a letter or digit. `#` is excluded (it delimits table keys), and
 * so is whitespace: every character is valid in an IAM tag value and in an External ID.
 */
export const CUSTOMER_ID_PATTERN_BODY = '[A-Za-z0-9][\\w.@+=:-]{0,127}';
export const CUSTOMER_ID_PATTERN = new RegExp(`^${CUSTOMER_ID_PATTERN_BODY}$`);
/** An AWS region name such as eu-west-1, us-gov-west-1 or cn-north-1. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;
/** A setup's id: the UUID `POST /setups` gives it (crypto.randomUUID). */
export const SETUP_ID_PATTERN_BODY = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const SETUP_ID_PATTERN = new RegExp(`^${SETUP_ID_PATTERN_BODY}$`);
/**
 * AWS Organizations' identifiers, as its API reference gives their patterns: an organization
 * `o-` and 10–32 lower-case letters or digits; a root `r-` and 4–32; an OU `ou-<root part>-<8–32>`.
 */
export const ORGANIZATION_ID_PATTERN = /^o-[a-z0-9]{10,32}$/;
export const ORGANIZATION_TARGET_PATTERN = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
/** A deployment stage: it names every resource, so 1–20 lower-case letters, digits or dashes. */
export const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

export const ACCOUNT_ID_MESSAGE = 'must be a 12-digit AWS account id';
export const CUSTOMER_ID_MESSAGE =
  'must be 1–128 letters, digits and _ . @ + = : - (starting with a letter or digit)';
export const REGION_MESSAGE = 'must be an AWS region name such as eu-west-1';
export const STAGE_MESSAGE = 'must be 1–20 lower-case letters, digits or dashes, starting with a letter';

/** A string field whose message says whether it was missing or of the wrong type. */
export const requiredString = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });

export const customerIdSchema = requiredString().check(
  z.minLength(1, 'must not be empty'),
  z.maxLength(128, 'must be at most 128 characters'),
  z.regex(CUSTOMER_ID_PATTERN, CUSTOMER_ID_MESSAGE),
);

export const accountIdSchema = requiredString().check(z.regex(ACCOUNT_ID_PATTERN, ACCOUNT_ID_MESSAGE));

export const setupIdSchema = requiredString().check(
  z.regex(SETUP_ID_PATTERN, 'must be the setupId POST /setups gave'),
);

export const regionSchema = requiredString().check(z.regex(REGION_PATTERN, REGION_MESSAGE));

export const stageSchema = requiredString().check(z.regex(STAGE_PATTERN, STAGE_MESSAGE));

export const organizationIdSchema = requiredString().check(
  z.regex(
    ORGANIZATION_ID_PATTERN,
    'must be an AWS Organizations id: o- and 10–32 lower-case letters or digits',
  ),
);

/** Where a StackSet deploys: the organization's root (`r-…`) or an organizational unit (`ou-…`). */
export const organizationTargetSchema = requiredString().check(
  z.regex(ORGANIZATION_TARGET_PATTERN, 'must be a root id (r-…) or an organizational unit id (ou-…-…)'),
);

export const externalIdSchema = requiredString().check(
  z.maxLength(1224, 'must be at most 1224 characters'),
  z.regex(EXTERNAL_ID_PATTERN, 'must be 2–1224 characters of letters, digits and + = , . @ : / - _'),
);

export const roleArnSchema = requiredString().check(
  z.maxLength(2048, 'must be at most 2048 characters'),
  z.regex(ROLE_ARN_PATTERN, 'must be an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>)'),
);

/** The key of one connection: a customer and one of its AWS accounts. */
export const connectionKeySchema = z.object({ customerId: customerIdSchema, accountId: accountIdSchema });
