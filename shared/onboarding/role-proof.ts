/**
 * Proves a customer role is assumable with the customer's External ID, and with no other
 * (docs/architecture.md §6, invariant 4): AssumeRole with the External ID succeeds, the assumed
 * identity is in the role's account, AssumeRole without an External ID and with a fresh decoy of
 * the same shape both fail with AccessDenied (otherwise the role is open to the confused deputy,
 * or trusts a wildcard any other customer's External ID matches), and, during a rotation, the
 * previous External ID no longer works. A new role answers AccessDenied for tens of seconds while
 * IAM propagates, so denials and transient errors are retried with exponential backoff and jitter,
 * at most `maxAttempts` times per step and never past the caller's deadline: a fixed budget no
 * request can stretch (invariant 10). Clock, sleep and randomness are injectable.
 */
import {
  AssumeRoleCommand,
  type Credentials,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { buildSessionName } from '@keyless/broker';
import { sleep as defaultSleep } from '../backoff.ts';
import { ROLE_ARN_PATTERN } from '../domain/sts-limits.ts';
import type { CaptureClient } from '../xray/tracer.ts';

export type ProofResult =
  /** `credentials`: the session of the proof, for the permission check that follows it. */
  | { ok: true; credentials?: Credentials }
  /** `conclusive`: the role is wrong (not merely unreachable for now because of throttling or outages). */
  | { ok: false; reason: string; conclusive: boolean; failureClass?: ProofFailureClass };

/**
 * Why a proof failed, in the few classes an on-call engineer counts (the `reasonClass` of the
 * OnboardingFailed metric, docs/architecture.md §11); `unconfirmed` when STS could not be reached.
 */
export const PROOF_FAILURE_CLASSES = [
  'invalid-role',
  'not-assumable',
  'account-mismatch',
  'no-external-id-condition',
  'external-id-too-broad',
  'previous-id-still-works',
  'role-or-stack-in-use',
  'permissions-denied',
  'not-in-organization',
  'unconfirmed',
] as const;
export type ProofFailureClass = (typeof PROOF_FAILURE_CLASSES)[number];

const unless = (conclusive: boolean, failureClass: ProofFailureClass): ProofFailureClass =>
  conclusive ? failureClass : 'unconfirmed';

export interface ProofInput {
  /** Whose role it is: named in the session, so the customer's CloudTrail attributes every call. */
  customerId: string;
  roleArn: string;
  externalId: string;
  /** During a rotation: the External ID that must stop working. */
  previousExternalId?: string;
  /** A fresh External ID of the same shape that nobody was given: it must be refused. */
  decoyExternalId: string;
  /** Epoch ms by which the proof must be settled. */
  deadline: number;
}

/** Reads the caller identity with the assumed credentials. */
export type CallerIdentityReader = (credentials: Credentials) => Promise<{ Account?: string }>;

export interface RoleProverOptions {
  sts: STSClient;
  callerIdentity?: CallerIdentityReader;
  /** Names the caller in the customer's CloudTrail; the template allows sts:SetSourceIdentity. */
  sourceIdentity?: string;
  sessionPrefix?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** AssumeRole attempts per step at most (IAM propagation takes 10–60 s; 12 attempts span about a minute). */
  maxAttempts?: number;
  /** Traces the client each GetCallerIdentity of a session is made with (docs/architecture.md §11). */
  captureClient?: CaptureClient;
}

/** The retry budget of one step of a proof: with the default backoff, 35–71 s of waiting. */
export const DEFAULT_PROOF_ATTEMPTS = 12;

type Attempt<T> =
  | { kind: 'done'; value: T }
  | { kind: 'retry'; error: string }
  | { kind: 'fatal'; error: string };

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'Error');
const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

function classify(error: unknown): 'denied' | 'transient' | 'fatal' {
  const name = errorName(error);
  if (name === 'AccessDenied' || name === 'AccessDeniedException') return 'denied';
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown }) ?? {};
  const status = meta.$metadata?.httpStatusCode;
  if (
    /Throttl|TooManyRequests|RequestLimitExceeded|Timeout|ServiceUnavailable|InternalFailure/i.test(name) ||
    meta.$retryable ||
    (status !== undefined && status >= 500) ||
    ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN'].includes((error as { code?: string }).code ?? '')
  ) {
    return 'transient';
  }
  return 'fatal';
}

export function createRoleProver({
  sts,
  callerIdentity,
  sourceIdentity = 'keyless-role-validator',
  sessionPrefix = 'keyless-validate',
  now = Date.now,
  sleep = defaultSleep,
  random = Math.random,
  baseDelayMs = 1_000,
  maxDelayMs = 8_000,
  maxAttempts = DEFAULT_PROOF_ATTEMPTS,
  captureClient,
}: RoleProverOptions) {
  const readIdentity: CallerIdentityReader =
    callerIdentity ??
    (async (credentials) => {
      const client = new STSClient({
        region: await sts.config.region(),
        credentials: {
          accessKeyId: credentials.AccessKeyId!,
          secretAccessKey: credentials.SecretAccessKey!,
          sessionToken: credentials.SessionToken!,
        },
      });
      captureClient?.(client);
      try {
        return await client.send(new GetCallerIdentityCommand({}));
      } finally {
        client.destroy();
      }
    });

  function assume(customerId: string, roleArn: string, externalId: string | undefined) {
    return sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        // `<service>-<customerId>-<unix time>`, as every Keyless session (invariant 7).
        RoleSessionName: buildSessionName(sessionPrefix, customerId, now()),
        DurationSeconds: 900,
        SourceIdentity: sourceIdentity,
        ...(externalId === undefined ? {} : { ExternalId: externalId }),
      }),
    );
  }

  /** Runs `step` until it is done, fatal, or the next wait would pass the deadline. */
  async function untilDeadline<T>(
    deadline: number,
    step: () => Promise<Attempt<T>>,
  ): Promise<
    { kind: 'done'; value: T } | { kind: 'failed'; error: string; fatal: boolean; attempts: number }
  > {
    for (let attempt = 1; ; attempt++) {
      const outcome = await step();
      if (outcome.kind === 'done') return outcome;
      if (outcome.kind === 'fatal')
        return { kind: 'failed', error: outcome.error, fatal: true, attempts: attempt };
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      const delay = ceiling / 2 + random() * (ceiling / 2);
      if (attempt >= maxAttempts || now() + delay >= deadline)
        return { kind: 'failed', error: outcome.error, fatal: false, attempts: attempt };
      await sleep(delay);
    }
  }

  return {
    async prove({
      customerId,
      roleArn,
      externalId,
      previousExternalId,
      decoyExternalId,
      deadline,
    }: ProofInput): Promise<ProofResult> {
      const accountId = ROLE_ARN_PATTERN.exec(roleArn)?.[2];
      if (!accountId)
        return {
          ok: false,
          reason: `${roleArn} is not an IAM role ARN.`,
          conclusive: true,
          failureClass: 'invalid-role',
        };

      // 1. With the External ID: must work (retried through IAM propagation).
      let lastDenied = false;
      const assumed = await untilDeadline(deadline, async (): Promise<Attempt<Credentials>> => {
        try {
          const { Credentials: credentials } = await assume(customerId, roleArn, externalId);
          if (!credentials) return { kind: 'fatal', error: 'STS returned no credentials' };
          return { kind: 'done', value: credentials };
        } catch (error) {
          const kind = classify(error);
          lastDenied = kind === 'denied';
          return {
            kind: kind === 'fatal' ? 'fatal' : 'retry',
            error: `${errorName(error)}: ${errorMessage(error)}`,
          };
        }
      });
      if (assumed.kind === 'failed') {
        return {
          ok: false,
          conclusive: lastDenied || assumed.fatal,
          failureClass: unless(lastDenied || assumed.fatal, 'not-assumable'),
          reason: lastDenied
            ? `Keyless could not assume ${roleArn} with the External ID (AccessDenied after ${assumed.attempts} attempts): check that the role exists and that its trust policy allows the provider with sts:ExternalId set to the External ID of your launch link.`
            : `Keyless could not assume ${roleArn} with the External ID (${assumed.error}).`,
        };
      }

      // 2. The assumed identity must be in the role's account.
      const identity = await untilDeadline(deadline, async (): Promise<Attempt<string | undefined>> => {
        try {
          return { kind: 'done', value: (await readIdentity(assumed.value)).Account };
        } catch (error) {
          return { kind: classify(error) === 'fatal' ? 'fatal' : 'retry', error: errorMessage(error) };
        }
      });
      if (identity.kind === 'failed') {
        return {
          ok: false,
          conclusive: identity.fatal,
          failureClass: unless(identity.fatal, 'account-mismatch'),
          reason: `Keyless could not confirm the identity of ${roleArn} (${identity.error}).`,
        };
      }
      if (identity.value !== accountId) {
        return {
          ok: false,
          conclusive: true,
          failureClass: 'account-mismatch',
          reason: `The assumed identity of ${roleArn} is in account ${identity.value ?? 'unknown'}, not ${accountId}.`,
        };
      }

      // 3. Without the External ID: must be denied, or any other customer of the provider could
      //    make the provider use this role (the confused deputy).
      const open = await expectDenied(deadline, () => assume(customerId, roleArn, undefined), false);
      if (open) {
        return {
          ok: false,
          conclusive: open.conclusive,
          failureClass: unless(open.conclusive, 'no-external-id-condition'),
          reason: open.conclusive
            ? `Role ${roleArn} can be assumed without the External ID: add the sts:ExternalId condition to its trust policy.`
            : `Keyless could not confirm that ${roleArn} refuses callers without the External ID (${open.error}).`,
        };
      }

      // 4. With a decoy External ID nobody was given: must be denied too, or the trust policy
      //    matches more than this customer's ID (a StringLike wildcard or prefix) and another
      //    customer's ID could reach this role through the provider.
      if (decoyExternalId !== externalId) {
        const loose = await expectDenied(deadline, () => assume(customerId, roleArn, decoyExternalId), false);
        if (loose) {
          return {
            ok: false,
            conclusive: loose.conclusive,
            failureClass: unless(loose.conclusive, 'external-id-too-broad'),
            reason: loose.conclusive
              ? `Role ${roleArn} accepts an External ID it was never given: its trust policy must compare sts:ExternalId with StringEquals to the exact External ID of your launch link, not StringLike with a wildcard or prefix.`
              : `Keyless could not confirm that ${roleArn} refuses other External IDs (${loose.error}).`,
          };
        }
      }

      // 5. Rotation: the previous External ID must have stopped working (retried while the trust
      //    policy change propagates).
      if (previousExternalId !== undefined && previousExternalId !== externalId) {
        const stillWorks = await expectDenied(
          deadline,
          () => assume(customerId, roleArn, previousExternalId),
          true,
        );
        if (stillWorks) {
          return {
            ok: false,
            conclusive: stillWorks.conclusive,
            failureClass: unless(stillWorks.conclusive, 'previous-id-still-works'),
            reason: stillWorks.conclusive
              ? `The previous External ID still works for ${roleArn}: the trust policy must accept only the new one.`
              : `Keyless could not confirm that the previous External ID stopped working for ${roleArn} (${stillWorks.error}).`,
          };
        }
      }
      return { ok: true, credentials: assumed.value };
    },
  };

  /**
   * Undefined when the call is denied (what we want). When it succeeds: a conclusive failure,
   * retried first if `retrySuccess` (a change may still be propagating).
   */
  async function expectDenied(
    deadline: number,
    call: () => Promise<unknown>,
    retrySuccess: boolean,
  ): Promise<{ conclusive: boolean; error: string } | undefined> {
    let succeeded = false;
    const outcome = await untilDeadline(deadline, async (): Promise<Attempt<void>> => {
      try {
        await call();
        succeeded = true;
        return retrySuccess
          ? { kind: 'retry', error: 'the call succeeded' }
          : { kind: 'fatal', error: 'the call succeeded' };
      } catch (error) {
        succeeded = false;
        const kind = classify(error);
        if (kind === 'denied') return { kind: 'done', value: undefined };
        return {
          kind: kind === 'fatal' ? 'fatal' : 'retry',
          error: `${errorName(error)}: ${errorMessage(error)}`,
        };
      }
    });
    if (outcome.kind === 'done') return undefined;
    return { conclusive: succeeded, error: outcome.error };
  }
}

export type RoleProver = ReturnType<typeof createRoleProver>;
