/** Helpers shared by the onboarding tests: custom-resource requests, setups and live connections. */
import { randomUUID } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { CustomResourceRequest } from '#shared/cloudformation/request.ts';
import type { RoleConnection } from '#shared/domain/connection.ts';
import { generateExternalId } from '#shared/domain/external-id.ts';
import type { Setup } from '#shared/domain/setup.ts';
import type { KeylessEvent } from '#shared/events/catalog.ts';
import type { ConnectionStore } from '#shared/store/connection-store.ts';
import { buildLegacyConnection, buildSetup, randomAccountId } from './builders.ts';
import { loadEvent } from './events.ts';

export const stackIdFor = (accountId: string, uuid: string = randomUUID()) =>
  `arn:aws:cloudformation:us-east-1:${accountId}:stack/keyless-test/${uuid}`;

export const uniqueCustomer = () => `cust-${randomUUID().slice(0, 8)}`;

/** A direct Create request (from the sample) for one customer and account, answered to `responseUrl`. */
export function createRequest({
  customerId,
  accountId,
  externalId,
  responseUrl,
  requestId = randomUUID(),
  stackId = stackIdFor(accountId),
  roleArn = `arn:aws:iam::${accountId}:role/KeylessAccess`,
}: {
  customerId: string;
  accountId: string;
  externalId: string;
  responseUrl: (requestId: string) => string;
  requestId?: string;
  stackId?: string;
  roleArn?: string;
}): CustomResourceRequest {
  const sample = loadEvent('cloudformation/custom-resource-create');
  return {
    ...sample,
    RequestId: requestId,
    StackId: stackId,
    ResponseURL: responseUrl(requestId),
    ResourceProperties: {
      ...sample.ResourceProperties,
      CustomerId: customerId,
      ExternalId: externalId,
      RoleArn: roleArn,
    },
  };
}

/** An Update or Delete of a request made earlier, as CloudFormation would send it. */
export function followUp(
  type: 'Update' | 'Delete',
  previous: CustomResourceRequest,
  responseUrl: (requestId: string) => string,
  properties: Record<string, unknown> = {},
): CustomResourceRequest {
  const requestId = randomUUID();
  return {
    ...previous,
    RequestType: type,
    RequestId: requestId,
    ResponseURL: responseUrl(requestId),
    PhysicalResourceId: `keyless-${String(previous.ResourceProperties?.CustomerId)}-${previous.StackId.split(':')[4]}`,
    ResourceProperties: { ...previous.ResourceProperties, ...properties },
    ...(type === 'Update' ? { OldResourceProperties: previous.ResourceProperties } : {}),
  };
}

export async function openSetup(store: ConnectionStore, customerId: string, overrides: Partial<Setup> = {}) {
  return store.putSetup(
    buildSetup({
      customerId,
      setupId: randomUUID(),
      externalId: generateExternalId(customerId),
      ...overrides,
    }),
  );
}

type CreateOptions = Partial<Parameters<typeof createRequest>[0]>;

/**
 * A new customer with an open setup (built with `setup`), and the Create their stack sends for it
 * to `responseUrl` (built with the other options).
 */
export async function customerWithSetup(
  store: ConnectionStore,
  responseUrl: (requestId: string) => string,
  { setup: setupOverrides = {}, ...overrides }: CreateOptions & { setup?: Partial<Setup> } = {},
) {
  const customerId = uniqueCustomer();
  const accountId = randomAccountId();
  const setup = await openSetup(store, customerId, setupOverrides);
  const request = createRequest({
    customerId,
    accountId,
    externalId: setup.externalId,
    responseUrl,
    ...overrides,
  });
  return { customerId, accountId, setup, request };
}

/**
 * A customer on access keys migrating to a role: their legacy connection, an open setup, and the
 * Create their new stack sends for it to `responseUrl`.
 */
export async function legacyMigration(store: ConnectionStore, responseUrl: (requestId: string) => string) {
  const customerId = uniqueCustomer();
  const legacy = await store.createLegacyConnection(buildLegacyConnection({ customerId }), {
    actor: 'test',
    reason: 'legacy',
  });
  const setup = await openSetup(store, customerId);
  const request = createRequest({
    customerId,
    accountId: legacy.accountId,
    externalId: setup.externalId,
    responseUrl,
  });
  return { customerId, legacy, setup, request };
}

/** A connection proven and ACTIVE, registered by `stackId`, holding its stack and role links. */
export async function activeConnection(
  store: ConnectionStore,
  { customerId = uniqueCustomer(), accountId = randomAccountId(), stackId = stackIdFor(accountId) } = {},
): Promise<RoleConnection & { stackId: string }> {
  const setup = await openSetup(store, customerId);
  const now = new Date().toISOString();
  const registered = await store.registerConnection({
    connection: {
      customerId,
      accountId,
      authMethod: 'ROLE',
      status: 'REGISTERED',
      version: 1,
      roleArn: `arn:aws:iam::${accountId}:role/KeylessAccess`,
      externalId: setup.externalId,
      stackId,
      setupId: setup.setupId,
      // As the callback records it from the sample Create's TemplateVersion.
      templateVersion: '1',
      createdAt: now,
      updatedAt: now,
    },
    setup,
    audit: { actor: 'test', reason: 'test' },
  });
  const active = await store.updateConnection({
    connection: registered,
    to: 'ACTIVE',
    set: { validatedAt: now },
    claimLinks: { stackId, roleArn: `arn:aws:iam::${accountId}:role/KeylessAccess` },
    audit: { actor: 'test', reason: 'test' },
  });
  return active as RoleConnection & { stackId: string };
}

/** The Keyless events a mocked EventBridge client received, parsed. */
export function publishedEvents(eventBridge: {
  commandCalls: (command: typeof PutEventsCommand) => { args: [PutEventsCommand] }[];
}): KeylessEvent[] {
  return eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) =>
      (call.args[0].input.Entries ?? []).map(
        (entry) =>
          ({ detailType: entry.DetailType, detail: JSON.parse(entry.Detail ?? '{}') }) as KeylessEvent,
      ),
    );
}
