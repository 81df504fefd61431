/**
 * The two AWS services a test cannot run locally, behind aws-sdk-client-mock:
 *
 * - STS is the local runtime's own (local/emulator/sts.ts): customer roles deployed with a real trust
 *   policy, evaluated on every AssumeRole by the IAM policy engine, so the simulation is no
 *   kinder than IAM. Each role trusts the provider with one External ID (what its stack's trust
 *   policy says) or, as careless customers write it, a looser `sts:ExternalId` condition (a
 *   `StringLike` wildcard, a list of IDs). GetCallerIdentity with the assumed credentials
 *   reports the role's account. Faults (throttling, AccessDenied while IAM propagates) are queued
 *   per role in front of it.
 * - EventBridge: PutEvents records every entry with an event id (what a rule target receives),
 *   and can be told to fail entries.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { type AssumeRoleInput, createLocalSts, StsError } from '#local/emulator/sts.ts';
import { EVENT_SOURCE } from '#shared/events/catalog.ts';

export const accessDenied = (message = 'User is not authorized to perform: sts:AssumeRole') =>
  Object.assign(new Error(message), {
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

const PROVIDER_ACCOUNT_ID = '999988887777';

/** A trust policy condition on sts:ExternalId, as a customer might write it. */
export interface ExternalIdCondition {
  /** An IAM condition operator: StringEquals, StringLike, StringLikeIfExists… */
  operator: string;
  value: string | string[];
}

/**
 * The trust policy of a customer role, shaped as the customer template writes it: AssumeRole for
 * the provider account under a condition on the External ID, and the session attribution actions
 * (for which IAM documents no sts:ExternalId) without one.
 */
function trustPolicyFor(condition: ExternalIdCondition) {
  const provider = { AWS: `arn:aws:iam::${PROVIDER_ACCOUNT_ID}:root` };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: provider,
        Action: 'sts:AssumeRole',
        Condition: { [condition.operator]: { 'sts:ExternalId': condition.value } },
      },
      { Effect: 'Allow', Principal: provider, Action: ['sts:SetSourceIdentity', 'sts:TagSession'] },
    ],
  };
}

export function simulateSts() {
  const sts = mockClient(STSClient);
  const local = createLocalSts({
    providerAccountId: PROVIDER_ACCOUNT_ID,
    providerRoleArn: `arn:aws:iam::${PROVIDER_ACCOUNT_ID}:role/keyless-test-role-validator`,
  });
  /** roleArn → the External ID its trust policy requires (when it requires exactly one). */
  const trusted = new Map<string, string>();
  /** roleArn → errors to throw on the next AssumeRole calls, in order. */
  const faults = new Map<string, (() => Error)[]>();
  /** Every set of credentials handed out, so a test can search logs for them. */
  const issued: { SecretAccessKey: string; SessionToken: string }[] = [];
  let calls = 0;

  function install() {
    sts.reset();
    sts.on(AssumeRoleCommand).callsFake(async (input: AssumeRoleInput) => {
      calls++;
      const fault = faults.get(input.RoleArn)?.shift();
      if (fault) throw fault();
      try {
        const output = await local.assumeRole(local.callerFor(undefined), input, '127.0.0.1');
        issued.push(output.Credentials);
        return output;
      } catch (error) {
        if (error instanceof StsError && error.code === 'AccessDenied') throw accessDenied(error.message);
        throw error;
      }
    });
    sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
      const credentials = await getClient().config.credentials();
      return local.getCallerIdentity(local.callerFor(credentials.accessKeyId));
    });
  }
  install();
  return {
    sts,
    /**
     * Deploys (or replaces) a customer role whose trust policy requires `externalId`, or meets
     * the given condition.
     */
    async trust(roleArn: string, externalId: string | ExternalIdCondition) {
      const condition =
        typeof externalId === 'string'
          ? { operator: 'StringEquals' as const, value: externalId }
          : externalId;
      if (typeof externalId === 'string') trusted.set(roleArn, externalId);
      else trusted.delete(roleArn);
      await local.putRole({ arn: roleArn, trustPolicy: trustPolicyFor(condition) });
    },
    /** The one External ID a role trusts, if it trusts exactly one. */
    trustedId: (roleArn: string) => trusted.get(roleArn),
    /** Queues errors for the next AssumeRole calls on a role. */
    failNext(roleArn: string, ...errors: (() => Error)[]) {
      faults.set(roleArn, [...(faults.get(roleArn) ?? []), ...errors]);
    },
    calls: () => calls,
    /** The secrets of every session issued so far: secret keys and session tokens. */
    issuedSecrets: () => issued.flatMap((c) => [c.SecretAccessKey, c.SessionToken]),
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
