/**
 * Every Keyless Lambda, by its folder under `functions/`: what it is for, how it is invoked, the
 * environment it reads (names from shared/config.ts) and the access it needs. The stack turns each
 * entry into one KeylessFunction and its grants; nothing else in the stack is per-function.
 */
import type { environmentVariables } from '../config.ts';
import { REMINDER_JOB_PARTITION } from '../reminders/reminder-store.ts';
import { SETUP_IDEMPOTENCY_PARTITION } from '../store/table-definition.ts';

export type EnvironmentName = keyof typeof environmentVariables;

export interface FunctionSpec {
  description: string;
  /** How events reach it: `async` functions get retries, an on-failure queue and a depth alarm. */
  invocation: 'api' | 'async';
  environment: readonly EnvironmentName[];
  /**
   * Variables compiled into the bundle instead (bundled-variables.ts): values that would not fit
   * in Lambda's 4 KB environment, fixed for a deployment.
   */
  bundled?: readonly EnvironmentName[];
  table: 'read' | 'read-write';
  /**
   * dynamodb:DeleteItem, only on items under these partition keys (dynamodb:LeadingKeys): the
   * reminder job's run marker, the setup API's idempotency records. A connection is deleted only as `deletesUnprovenConnections` says.
   */
  deletesItemsUnder?: readonly string[];
  /**
   * dynamodb:DeleteItem on customers' items (`CUSTOMER#…` partitions): the validator deletes a
   * registration proven outside its organization setup's organization, conditionally, keeping its
   * audit line (docs/architecture.md §9.7).
   */
  deletesUnprovenConnections?: boolean;
  publishesEvents: boolean;
  /** sts:AssumeRole (+ SetSourceIdentity, TagSession) on customer roles, by name pattern only. */
  assumesCustomerRoles: boolean;
  /** secretsmanager:GetSecretValue on the legacy access-key secrets. */
  readsLegacySecrets: boolean;
  timeoutSeconds: number;
  memoryMiB: number;
  /**
   * The role name, when customer templates must name it in their trust policy (see
   * shared/customer-template/names.ts); the other roles are named after the function.
   */
  trustedRole?: 'validator' | 'broker';
  /**
   * lambda:InvokeFunction on the role validator only, so the credential broker can ask it to re-validate
   * a role that keeps denying AssumeRole (REVALIDATION_FUNCTION_NAME); it never writes the table.
   */
  requestsRevalidation?: boolean;
  /**
   * lambda:InvokeFunction for customer accounts, within the registration topic's allow-lists
   * (allowedPrincipalOrgId, allowedCustomerAccounts, or any account): the Terraform module's path.
   */
  invokedByCustomerAccounts?: boolean;
  /**
   * Reserved concurrency, when more than this many copies at once would only waste work or starve
   * the account: a number, or the deployment setting that holds it.
   */
  reservedConcurrency?: number | 'callbackReservedConcurrency' | 'validatorReservedConcurrency';
}

const CORE_ENV = ['TABLE_NAME', 'EVENT_BUS_NAME', 'PROVIDER_ACCOUNT_ID', 'HOME_REGION'] as const;

export const FUNCTIONS = {
  'setup-api': {
    description: 'Setup API: issues External IDs and launch URLs, lists, revokes and rotates connections.',
    invocation: 'api',
    environment: [
      ...CORE_ENV,
      'TEMPLATE_URL',
      'REGISTRATION_TOPIC_ARNS',
      'SETUP_TTL_DAYS',
      'CUSTOMER_STACK_NAME_PREFIX',
      'VALIDATOR_RESERVED_CONCURRENCY',
    ],
    bundled: ['TEMPLATE_CATALOGUE'],
    table: 'read-write',
    // Powertools idempotency deletes its in-progress record when issuing a setup fails.
    deletesItemsUnder: [SETUP_IDEMPOTENCY_PARTITION],
    publishesEvents: true,
    assumesCustomerRoles: false,
    readsLegacySecrets: false,
    timeoutSeconds: 10,
    memoryMiB: 512,
  },
  'registration-callback': {
    description: 'Records custom-resource requests from customer stacks (via SNS); never assumes roles.',
    invocation: 'async',
    // The validator's reserved concurrency sizes the organization setups' caps (invariant 10).
    environment: [...CORE_ENV, 'SETUP_TTL_DAYS', 'VALIDATOR_RESERVED_CONCURRENCY'],
    table: 'read-write',
    publishesEvents: true,
    assumesCustomerRoles: false,
    readsLegacySecrets: false,
    timeoutSeconds: 30,
    memoryMiB: 512,
    // A flood of (possibly forged) requests cannot starve the account.
    reservedConcurrency: 'callbackReservedConcurrency',
  },
  'role-validator': {
    description: 'Proves a customer role (with and without the External ID) and answers CloudFormation.',
    invocation: 'async',
    // Its own reserved concurrency sizes the organization queues it drains (invariant 10).
    environment: [...CORE_ENV, 'VALIDATOR_RESERVED_CONCURRENCY'],
    // The daily re-validation tells customers on older templates of the upgrade; every validation
    // checks the role's permissions.
    bundled: ['TEMPLATE_CATALOGUE', 'PERMISSION_CHECKS'],
    table: 'read-write',
    publishesEvents: true,
    assumesCustomerRoles: true,
    readsLegacySecrets: false,
    // Retries through IAM propagation (10–60 s) before it answers; well within the template's ServiceTimeout.
    timeoutSeconds: 300,
    memoryMiB: 512,
    trustedRole: 'validator',
    deletesUnprovenConnections: true,
    // Unproven work is bounded (docs/architecture.md §6, invariant 10): validations beyond this wait
    // in Lambda's async queue instead of spending the account's concurrency and STS quota.
    reservedConcurrency: 'validatorReservedConcurrency',
  },
  revocation: {
    description: 'Revokes a connection when its customer stack is deleted.',
    invocation: 'async',
    environment: [...CORE_ENV],
    table: 'read-write',
    publishesEvents: true,
    assumesCustomerRoles: false,
    readsLegacySecrets: false,
    timeoutSeconds: 30,
    memoryMiB: 512,
  },
  'migration-reminder': {
    description: 'Daily: finds connections still on access keys past the grace period and emits reminders.',
    invocation: 'async',
    environment: [...CORE_ENV, 'LEGACY_GRACE_DAYS', 'REMINDER_INTERVAL_DAYS'],
    table: 'read-write',
    deletesItemsUnder: [REMINDER_JOB_PARTITION],
    publishesEvents: true,
    assumesCustomerRoles: false,
    readsLegacySecrets: false,
    timeoutSeconds: 300,
    memoryMiB: 512,
    // Overlapping runs are safe (conditional writes on lastRemindedAt) but would read and skip the same
    // connections twice: a retried schedule waits for the running copy instead.
    reservedConcurrency: 1,
  },
  'example-worker': {
    description: 'Example downstream worker: reaches customer accounts through the credential broker.',
    invocation: 'async',
    environment: [
      ...CORE_ENV,
      'CREDENTIAL_REFRESH_BUFFER_SECONDS',
      'REVOCATION_STALENESS_SECONDS',
      'REVOCATION_MODE',
      'REVOCATION_FEED_INTERVAL_SECONDS',
      'REVALIDATION_FUNCTION_NAME',
    ],
    table: 'read',
    publishesEvents: false,
    assumesCustomerRoles: true,
    readsLegacySecrets: true,
    timeoutSeconds: 60,
    memoryMiB: 512,
    trustedRole: 'broker',
    requestsRevalidation: true,
  },
  'terraform-registration': {
    description:
      "Registers and revokes a role for the customer's Terraform module (aws_lambda_invocation, CRUD lifecycle).",
    // Terraform waits for the answer: a synchronous invocation, from the customer's account.
    invocation: 'api',
    environment: [...CORE_ENV, 'VALIDATOR_RESERVED_CONCURRENCY'],
    table: 'read-write',
    publishesEvents: true,
    assumesCustomerRoles: false,
    readsLegacySecrets: false,
    timeoutSeconds: 30,
    memoryMiB: 512,
    invokedByCustomerAccounts: true,
    // As the callback: a flood of (possibly forged) invocations cannot starve the account.
    reservedConcurrency: 'callbackReservedConcurrency',
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;
export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];
