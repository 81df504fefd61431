/**
 * The two AWS services a test cannot run locally, simulated behind aws-sdk-client-mock:
 *
 * - STS as customer accounts answer it: each role trusts the provider with exactly one External
 *   ID (what its stack's trust policy says); AssumeRole without it, or with another, is denied;
 *   GetCallerIdentity with the assumed credentials reports the role's account. Faults (throttling,
 *   AccessDenied while IAM propagates) are queued per role.
 * - EventBridge: PutEvents records every entry with an event id (what a rule target receives),
 *   and can be told to fail entries.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { EVENT_SOURCE } from '../../../shared/events/catalog.ts';

export const accessDenied = () =>
  Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), {
    name: 'AccessDenied',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
  });
export const throttling = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'Throttling',
    $fault: 'client',
    $retryable: { throttling: true },
    $metadata: { httpStatusCode: 400 },
  });

export interface EnvelopedEvent {
  id: string;
  source: typeof EVENT_SOURCE;
  'detail-type': string;
  time: string;
  account: string;
  region: string;
  detail: Record<string, unknown>;
}

export function simulateSts() {
  const sts = mockClient(STSClient);
  /** roleArn → the External ID its trust policy requires. */
  const trust = new Map<string, string>();
  /** roleArn → errors to throw on the next AssumeRole calls, in order. */
  const faults = new Map<string, (() => Error)[]>();
  let calls = 0;

  function install() {
    sts.reset();
    sts.on(AssumeRoleCommand).callsFake(async (input: { RoleArn: string; ExternalId?: string }) => {
      calls++;
      const queued = faults.get(input.RoleArn);
      const fault = queued?.shift();
      if (fault) throw fault();
      const required = trust.get(input.RoleArn);
      if (required === undefined || input.ExternalId !== required) throw accessDenied();
      const account = input.RoleArn.split(':')[4];
      return {
        Credentials: {
          AccessKeyId: `ASIA${account}`,
          SecretAccessKey: `simulated-secret-${randomUUID()}`,
          SessionToken: `simulated-token-${randomUUID()}`,
          Expiration: new Date(Date.now() + 900_000),
        },
      };
    });
    sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
      const credentials = await getClient().config.credentials();
      return { Account: credentials.accessKeyId.replace(/^ASIA/, '') };
    });
  }
  install();
  return {
    sts,
    trust,
    /** Queues errors for the next AssumeRole calls on a role. */
    failNext(roleArn: string, ...errors: (() => Error)[]) {
      faults.set(roleArn, [...(faults.get(roleArn) ?? []), ...errors]);
    },
    calls: () => calls,
    reset: install,
  };
}

export function simulateEventBridge() {
  const eventBridge = mockClient(EventBridgeClient);
  const delivered: EnvelopedEvent[] = [];
  /** Error codes to give the next entries, one per entry, in order. */
  const entryFaults: string[] = [];

  function install() {
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: PutEventsRequestEntry[] }) => {
      const entries = input.Entries.map((entry) => {
        const fault = entryFaults.shift();
        if (fault) return { ErrorCode: fault, ErrorMessage: 'simulated failure' };
        const id = randomUUID();
        delivered.push({
          id,
          source: EVENT_SOURCE,
          'detail-type': entry.DetailType ?? '',
          time: new Date().toISOString(),
          account: '999988887777',
          region: 'us-east-1',
          detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>,
        });
        return { EventId: id };
      });
      return { FailedEntryCount: entries.filter((e) => 'ErrorCode' in e).length, Entries: entries };
    });
  }
  install();
  return {
    eventBridge,
    delivered,
    /** Fails the next `count` entries with `code` (each PutEvents attempt consumes them). */
    failNextEntries(count: number, code = 'InternalFailure') {
      entryFaults.push(...Array.from({ length: count }, () => code));
    },
    /** The events of one type for one connection, as a rule target receives them. */
    of(detailType: string, customerId: string, accountId: string) {
      return delivered.filter(
        (e) =>
          e['detail-type'] === detailType &&
          e.detail.customerId === customerId &&
          e.detail.accountId === accountId,
      );
    },
    reset() {
      delivered.length = 0;
      entryFaults.length = 0;
      install();
    },
  };
}
