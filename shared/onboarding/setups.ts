/**
 * Setups (onboarding offers): a fresh External ID for a customer, stored with an expiry, and the
 * CloudFormation quick-create link that launches the customer template with every parameter
 * pre-filled. Also: finding the setup a callback's External ID belongs to, in constant time.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { parseStackArn } from '../cloudformation/stack-arn.ts';
import { PARAMETERS } from '../customer-template/template.ts';
import type { RoleConnection } from '../domain/connection.ts';
import { externalIdCustomerPart, generateExternalId } from '../domain/external-id.ts';
import {
  customerIdSchema,
  organizationIdSchema,
  organizationTargetSchema,
  regionSchema,
} from '../domain/identifiers.ts';
import { outlivesItsExpiry, SETUP_SCOPES, type Setup } from '../domain/setup.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { ConnectionStore } from '../store/connection-store.ts';
import { DEFAULT_PENDING_CAPS } from './registration-decision.ts';
import { secureEquals } from './secure-compare.ts';

export interface SetupSettings {
  templateUrl: string;
  homeRegion: string;
  /** Regions with a registrations topic: where a customer may launch the stack. */
  regions: readonly string[];
  setupTtlDays: number;
  /** What a customer's stack name starts with: the provider's name, never Keyless's (default "keyless"). */
  stackNamePrefix?: string;
}

export const createSetupRequestSchema = z
  .strictObject({
    customerId: customerIdSchema,
    customerName: z.optional(
      z
        .string({ error: 'must be a string' })
        .check(
          z.trim(),
          z.minLength(1, 'must not be empty'),
          z.maxLength(256, 'must be at most 256 characters'),
        ),
    ),
    region: z.optional(regionSchema),
    setupPhase: z.optional(z.boolean({ error: 'must be true or false' })),
    scope: z.optional(z.enum(SETUP_SCOPES, { error: 'must be "account" or "organization"' })),
    /** Organization setups: the organization every account must be proven a member of. */
    organizationId: z.optional(organizationIdSchema),
    /** Organization setups: the OUs (or the root) the StackSet deploys to; the root by default. */
    organizationalUnitIds: z.optional(
      z.array(organizationTargetSchema, { error: 'must be a list of root or OU ids' }).check(
        z.minLength(1, 'must name at least one root or OU id'),
        // CreateStackInstances takes at most 50 OUs per call.
        z.maxLength(50, 'must name at most 50 ids'),
      ),
    ),
  })
  .check(
    z.superRefine((input, context) => {
      if (input.scope === 'organization') return;
      for (const field of ['organizationId', 'organizationalUnitIds'] as const) {
        if (input[field] !== undefined)
          context.addIssue({
            code: 'custom',
            path: [field],
            message: 'is only allowed with scope "organization"',
          });
      }
    }),
  );
export type CreateSetupRequest = z.output<typeof createSetupRequestSchema>;

/** What an organization's management account runs to onboard every member account (§9.7). */
export interface StackSetOffer {
  stackSetName: string;
  templateUrl: string;
  /** The StackSet's parameters: the same values the launch link pre-fills. */
  parameters: Record<string, string>;
  /** AWS CLI commands, in order, ready to paste in the management account (bash). */
  commands: string[];
}

export interface SetupOffer {
  setupId: string;
  externalId: string;
  launchUrl: string;
  templateUrl: string;
  stackName: string;
  region: string;
  expiresAt: string;
  scope?: 'organization';
  organizationId?: string;
  /** Organization setups: the StackSet for the member accounts; `launchUrl` is the management account's. */
  stackSet?: StackSetOffer;
}

/** The console of a region, in its partition. */
export function consoleOrigin(region: string): string {
  if (region.startsWith('cn-')) return `https://${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return `https://${region}.console.amazonaws-us-gov.com`;
  return `https://${region}.console.aws.amazon.com`;
}

/** The stack name a customer's stack gets: `<prefix>-<customer part>`, a valid CloudFormation stack name. */
export function stackNameFor(customerId: string, prefix = DEFAULT_STACK_NAME_PREFIX): string {
  return `${prefix}-${externalIdCustomerPart(customerId)}`;
}

export const DEFAULT_STACK_NAME_PREFIX = 'keyless';

/**
 * A stack name prefix made of a provider's name: "Acme Analytics" → "acme-analytics". A stack name
 * starts with a letter and holds letters, digits and dashes (CloudFormation's rule).
 */
export function stackNamePrefixOf(providerName: string): string {
  const words = providerName.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const prefix = words
    .join('-')
    .replace(/^[0-9-]+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return prefix || DEFAULT_STACK_NAME_PREFIX;
}

/**
 * CloudFormation quick-create link, in the form the CloudFormation user guide documents
 * ("Create quick-create links for stacks"): `https://<region>.console…/cloudformation/home
 * ?region=<region>#/stacks/create/review?templateURL=<encoded>&stackName=<name>&param_<Name>=<value>…`.
 * Parameter names are the generated template's own (`PARAMETERS`), so the link cannot drift from it.
 */
export function quickCreateUrl({
  region,
  templateUrl,
  stackName,
  parameters,
}: {
  region: string;
  templateUrl: string;
  stackName: string;
  parameters: Record<string, string>;
}): string {
  const query = new URLSearchParams({ templateURL: templateUrl, stackName });
  for (const [name, value] of Object.entries(parameters)) query.set(`param_${name}`, value);
  return `${consoleOrigin(region)}/cloudformation/home?region=${region}#/stacks/create/review?${query.toString()}`;
}

/** The console page where the customer updates an existing stack (to bring in a rotated External ID). */
export function stackUpdateUrl(stackId: string): string {
  const stack = parseStackArn(stackId);
  if (!stack) throw new Error('Not a stack ARN.');
  const query = new URLSearchParams({ stackId });
  return `${consoleOrigin(stack.region)}/cloudformation/home?region=${stack.region}#/stacks/update?${query.toString()}`;
}

function newSetup(
  customerId: string,
  settings: SetupSettings,
  now: Date,
  extra: Partial<Pick<Setup, 'customerName' | 'region' | 'rotatesAccountId' | 'scope' | 'organizationId'>>,
): Setup {
  return {
    customerId,
    setupId: randomUUID(),
    externalId: generateExternalId(customerId),
    status: 'OPEN',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + settings.setupTtlDays * 86_400_000).toISOString(),
    ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)),
  };
}

/** Refuses a region without a registrations topic (a customer could not launch the stack there). */
export function checkRegion(region: string, settings: SetupSettings): void {
  if (!settings.regions.includes(region)) {
    throw new ValidationError(
      `region ${region} is not served: choose one of ${settings.regions.join(', ')}.`,
      [{ path: 'region', message: `must be one of ${settings.regions.join(', ')}` }],
    );
  }
}

/** POST /setups: a new External ID for the customer and the link that launches their stack. */
export async function createSetup(
  input: CreateSetupRequest,
  { store, settings, now = new Date() }: { store: ConnectionStore; settings: SetupSettings; now?: Date },
): Promise<SetupOffer> {
  const region = input.region ?? settings.homeRegion;
  checkRegion(region, settings);
  const organization = input.scope === 'organization';
  const setup = await store.putSetup(
    newSetup(input.customerId, settings, now, {
      customerName: input.customerName,
      region,
      ...(organization ? { scope: 'organization' as const, organizationId: input.organizationId } : {}),
    }),
  );
  const stackName = stackNameFor(input.customerId, settings.stackNamePrefix);
  const parameters = {
    [PARAMETERS.externalId]: setup.externalId,
    [PARAMETERS.customerId]: input.customerId,
    [PARAMETERS.setupPhase]: String(input.setupPhase ?? true),
  };
  return {
    setupId: setup.setupId,
    externalId: setup.externalId,
    launchUrl: quickCreateUrl({ region, templateUrl: settings.templateUrl, stackName, parameters }),
    templateUrl: settings.templateUrl,
    stackName,
    region,
    expiresAt: setup.expiresAt,
    ...(organization
      ? {
          scope: 'organization' as const,
          ...(setup.organizationId ? { organizationId: setup.organizationId } : {}),
          stackSet: stackSetOffer({
            stackSetName: stackName,
            region,
            templateUrl: settings.templateUrl,
            parameters,
            targets: input.organizationalUnitIds,
          }),
        }
      : {}),
  };
}

/**
 * The commands that create a service-managed StackSet with automatic deployment and its instances
 * in one region (IAM is global: one role per account), as the AWS CLI reference gives them
 * (docs/architecture.md §9.7). Without OUs the StackSet targets the organization's root, read
 * with `list-roots`. The first rollout deploys `perSetup` accounts at a time (with the default
 * STRICT_FAILURE_TOLERANCE, concurrency is min(MaxConcurrentCount, FailureToleranceCount + 1));
 * nothing depends on it: accounts beyond the organization's share of the validator wait in the
 * setup's queue (invariant 10, docs/architecture.md §9.7).
 */
export function stackSetOffer({
  stackSetName,
  region,
  templateUrl,
  parameters,
  targets,
  perSetup = DEFAULT_PENDING_CAPS.perSetup,
}: {
  stackSetName: string;
  region: string;
  templateUrl: string;
  parameters: Record<string, string>;
  targets?: readonly string[] | undefined;
  perSetup?: number;
}): StackSetOffer {
  const parameterList = Object.entries(parameters)
    .map(([key, value]) => `ParameterKey=${key},ParameterValue=${value}`)
    .join(' ');
  const deploymentTargets = targets?.length
    ? targets.join(',')
    : '"$(aws organizations list-roots --query \'Roots[0].Id\' --output text)"';
  return {
    stackSetName,
    templateUrl,
    parameters,
    commands: [
      'aws cloudformation activate-organizations-access',
      [
        `aws cloudformation create-stack-set --region ${region} --stack-set-name ${stackSetName}`,
        `--template-url '${templateUrl}' --permission-model SERVICE_MANAGED`,
        '--auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false',
        `--capabilities CAPABILITY_NAMED_IAM --parameters ${parameterList}`,
      ].join(' '),
      [
        `aws cloudformation create-stack-instances --region ${region} --stack-set-name ${stackSetName}`,
        `--deployment-targets OrganizationalUnitIds=${deploymentTargets} --regions ${region}`,
        `--operation-preferences MaxConcurrentCount=${perSetup},FailureToleranceCount=${perSetup - 1}`,
      ].join(' '),
    ],
  };
}

export interface RotationOffer {
  setupId: string;
  externalId: string;
  expiresAt: string;
  /** The stack to update with the new ID; absent for a connection registered by API or Terraform. */
  stackId?: string;
  /** The console page to update the customer's stack. */
  updateUrl?: string;
  /** The one parameter to change in that update; every other keeps its previous value. */
  parameters: Record<string, string>;
}

/**
 * POST …/rotate: issues a new External ID for a live connection. Nothing changes until the
 * customer's stack update brings it and the validator proves it (and that the old one stopped
 * working); a rotation that fails leaves the connection as it was.
 */
export async function startRotation(
  { customerId, accountId }: { customerId: string; accountId: string },
  { store, settings, now = new Date() }: { store: ConnectionStore; settings: SetupSettings; now?: Date },
): Promise<RotationOffer> {
  const connection = await store.getConnection(customerId, accountId);
  if (!connection)
    throw new NotFoundError(`No connection for account ${accountId} of customer ${customerId}.`);
  if (connection.authMethod !== 'ROLE' || !['ACTIVE', 'BROKEN'].includes(connection.status)) {
    throw new ValidationError(
      `Only a live role connection can rotate its External ID; this one is ${connection.status} on ${connection.authMethod === 'ROLE' ? 'a role' : 'access keys'}.`,
    );
  }
  const role = connection as RoleConnection;
  const stack = role.stackId ? parseStackArn(role.stackId) : undefined;
  const setup = await store.putSetup(
    newSetup(customerId, settings, now, { rotatesAccountId: accountId, region: stack?.region }),
  );
  return {
    setupId: setup.setupId,
    externalId: setup.externalId,
    expiresAt: setup.expiresAt,
    // Without a stack (API, Terraform), the customer puts the new ID in the role's trust policy
    // and registers the role again through the rotation setup.
    ...(role.stackId ? { stackId: role.stackId, updateUrl: stackUpdateUrl(role.stackId) } : {}),
    parameters: { [PARAMETERS.externalId]: setup.externalId },
  };
}

export type SetupMatch = { kind: 'open'; setup: Setup } | { kind: 'expired'; setup: Setup };

/**
 * The customer's setup whose External ID equals `externalId`: every candidate is compared in
 * constant time (no early exit), and a rotation setup matches only the account it rotates.
 * Reports an expired match separately, so the customer is told to ask for a new link.
 */
export async function findSetupForExternalId(
  store: ConnectionStore,
  customerId: string,
  externalId: string,
  accountId: string,
  now: Date,
): Promise<SetupMatch | undefined> {
  // Every setup not marked EXPIRED (an epoch-0 clock), so an expired one can be named as such.
  const setups = await store.listOpenSetups(customerId, new Date(0));
  let match: Setup | undefined;
  for (const setup of setups) {
    const equal = secureEquals(setup.externalId, externalId);
    const forThisAccount = setup.rotatesAccountId === undefined || setup.rotatesAccountId === accountId;
    if (equal && forThisAccount && (!match || Date.parse(setup.expiresAt) > Date.parse(match.expiresAt)))
      match = setup;
  }
  if (!match) return undefined;
  return Date.parse(match.expiresAt) > now.getTime() || outlivesItsExpiry(match)
    ? { kind: 'open', setup: match }
    : { kind: 'expired', setup: match };
}
