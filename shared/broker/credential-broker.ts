/**
 * The credential broker: short-lived credentials for a customer's AWS account, as an AWS SDK v3
 * credential provider, so a worker writes
 *
 *   new S3Client({ credentials: broker.credentialsFor({ customerId, accountId }) })
 *
 * and nothing else.
 *
 * Two caches, two jobs:
 * - The SDK memoizes whatever a provider returns until 5 minutes before its `expiration`
 *   (`memoizeIdentityProvider` in @smithy/core) and only then calls the provider again. If the
 *   broker reported the STS expiry, a client would keep using a REVOKED connection for up to an
 *   hour. So each vend reports an `expiration` that makes the SDK come back once the connection
 *   status it was checked against is half the staleness bound old (status-checks.ts re-reads it
 *   ahead from then on): with the default bound of 0 the SDK asks again before every request, and
 *   every request re-checks the status.
 * - The broker caches the STS session itself (per connection and request shape, LRU-bounded,
 *   refreshed `refreshBufferSeconds` before the real expiry), so those extra vends cost one small
 *   strongly consistent DynamoDB read, never an AssumeRole. Concurrent misses share one
 *   AssumeRole (single flight); a failed refresh is never cached and never evicts a good session.
 *   Concurrent status reads of one connection are coalesced too, within the staleness guarantee.
 * - A provider from `credentialsFor` keys its request once; while the status and the session it
 *   served last are fresh (staleness bound > 0), a call returns the same settled promise.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { ConnectionAccess } from '../domain/connection.ts';
import { accountIdSchema, customerIdSchema } from '../domain/identifiers.ts';
import { ROLE_MAX_SESSION_SECONDS, SESSION_DURATION_MIN_SECONDS } from '../domain/sts-limits.ts';
import { ValidationError } from '../errors.ts';
import type { LegacyKeyReader } from '../legacy/legacy-keys.ts';
import type { ConnectionStore } from '../store/connection-store.ts';
import {
  AssumeRoleDeniedError,
  AssumeRoleFailedError,
  ConnectionFailedError,
  ConnectionMisconfiguredError,
  ConnectionRevokedError,
  LegacyKeysUnavailableError,
  ValidationPendingError,
} from './errors.ts';
import type { RepeatedDenialWatch } from './repeated-denials.ts';
import { assertSourceIdentity, buildSessionName } from './session-name.ts';
import { type CheckedAccess, type ConnectionStatus, createStatusChecks } from './status-checks.ts';

/**
 * How long before a reported `expiration` the AWS SDK treats credentials as expired and calls
 * the provider again (`EXPIRATION_MS` in @smithy/core's memoizeIdentityProvider).
 */
export const SDK_REFRESH_WINDOW_MS = 300_000;
/** STS's limit on an inline session policy (plain text). */
export const SESSION_POLICY_MAX_CHARS = 2048;
/** A session this close to STS's expiry is not served when its refresh fails. */
const MIN_REMAINING_TO_SERVE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface CredentialRequest {
  customerId: string;
  accountId: string;
  /** Names the calling worker in CloudTrail (STS SourceIdentity); defaults to the broker's. */
  sourceIdentity?: string;
  /** 900–3600 (the customer role's MaxSessionDuration); default 3600. */
  durationSeconds?: number;
  /** An inline session policy that narrows the role's permissions for this session. */
  sessionPolicy?: string | Record<string, unknown>;
}

export interface CredentialBroker {
  /** An SDK v3 credential provider for the customer's account; validates the request at once. */
  credentialsFor(request: CredentialRequest): AwsCredentialIdentityProvider;
  /** One vend: checks the connection, then returns cached or fresh credentials. */
  getCredentials(request: CredentialRequest): Promise<AwsCredentialIdentity>;
  /** Drops every cached session and status (tests, or after a known mass revocation). */
  clear(): void;
}

export interface CredentialBrokerOptions {
  /** The per-vend status read: `store.getConnectionAccess` (strongly consistent, projected). */
  store: Pick<ConnectionStore, 'getConnectionAccess'>;
  /** The STS client, running with the broker's own (provider-account) credentials. */
  sts: STSClient;
  /** Reads legacy access keys (Powertools secrets provider, cached). */
  legacyKeys: LegacyKeyReader;
  /** `<service>` in the session name `<service>-<customerId>-<unix time>`. */
  serviceName: string;
  /** Default SourceIdentity: the calling worker's name (e.g. AWS_LAMBDA_FUNCTION_NAME). */
  sourceIdentity: string;
  logger: Logger;
  /** Refresh a cached session this long before STS's expiry. Default 300. */
  refreshBufferSeconds?: number;
  /** How long a read connection status may be trusted; 0 (default) re-reads on every vend. */
  revocationStalenessSeconds?: number;
  /** LRU bound on cached sessions per execution environment. Default 1000. */
  maxCachedSessions?: number;
  /**
   * Told of every STS denial and success, so a role that keeps refusing us gets re-validated (and
   * marked BROKEN by the validator if it is gone). Off when omitted.
   */
  repeatedDenials?: RepeatedDenialWatch;
  /** Epoch milliseconds; injectable for tests. */
  clock?: () => number;
}

interface CachedSession {
  credentials: Required<Pick<AwsCredentialIdentity, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>>;
  /** Epoch ms of STS's expiry. */
  expiresAt: number;
  /** The role and External ID the session was issued for; a rotation makes it unusable. */
  issuedFor: string;
}

/** What a provider served last, served again while its status and session are both fresh. */
interface Served {
  resolved: Promise<AwsCredentialIdentity>;
  status: ConnectionStatus;
  checked: CheckedAccess;
  session: CachedSession;
  /** The broker's `clear()` count when it was served; a clear makes it unusable. */
  generation: number;
}

/** A provider's request, its cache key computed once, and what it served last. */
interface ProviderState {
  request: ParsedRequest;
  sessionKey: string;
  served: Served | undefined;
}

type ParsedRequest = Required<Pick<CredentialRequest, 'customerId' | 'accountId' | 'durationSeconds'>> & {
  sourceIdentity: string;
  sessionPolicy?: string;
};

const requestSchema = z.object({
  customerId: customerIdSchema,
  accountId: accountIdSchema,
  sourceIdentity: z.string().optional(),
  durationSeconds: z
    .number()
    .int()
    .min(SESSION_DURATION_MIN_SECONDS, `must be at least ${SESSION_DURATION_MIN_SECONDS} seconds`)
    .max(ROLE_MAX_SESSION_SECONDS, `must be at most ${ROLE_MAX_SESSION_SECONDS} seconds (the role's maximum)`)
    .optional(),
  sessionPolicy: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
});

export function createCredentialBroker(options: CredentialBrokerOptions): CredentialBroker {
  const {
    store,
    sts,
    legacyKeys,
    serviceName,
    logger,
    refreshBufferSeconds = 300,
    revocationStalenessSeconds = 0,
    maxCachedSessions = 1000,
    repeatedDenials,
    clock = Date.now,
  } = options;
  const defaultSourceIdentity = assertSourceIdentity(options.sourceIdentity);
  const refreshBufferMs = refreshBufferSeconds * 1000;
  const stalenessMs = revocationStalenessSeconds * 1000;

  const sessions = new LRUCache<string, CachedSession>({ max: maxCachedSessions });
  const checks = createStatusChecks({
    store,
    stalenessMs,
    maxEntries: maxCachedSessions,
    onInactive: forget,
    logger,
    clock,
  });
  /** Bumped by `clear()`: what a provider served before it is never served again. */
  let generation = 0;
  const inFlight = new Map<string, Promise<CachedSession>>();
  const deprecationWarned = new LRUCache<string, number>({ max: maxCachedSessions });

  function parse(request: CredentialRequest): ParsedRequest {
    const result = requestSchema.safeParse(request);
    if (!result.success) {
      const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      throw new ValidationError(
        `Invalid credential request: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}.`,
        issues,
      );
    }
    const { customerId, accountId, durationSeconds = ROLE_MAX_SESSION_SECONDS } = result.data;
    const sourceIdentity = assertSourceIdentity(result.data.sourceIdentity ?? defaultSourceIdentity);
    const policy = result.data.sessionPolicy;
    const sessionPolicy = typeof policy === 'object' ? JSON.stringify(policy) : policy;
    if (sessionPolicy !== undefined && sessionPolicy.length > SESSION_POLICY_MAX_CHARS) {
      throw new ValidationError(`sessionPolicy must be at most ${SESSION_POLICY_MAX_CHARS} characters.`, [
        { path: 'sessionPolicy', message: 'too long for STS' },
      ]);
    }
    return { customerId, accountId, durationSeconds, sourceIdentity, sessionPolicy };
  }

  const connectionKey = (customerId: string, accountId: string) => `${customerId}\u0000${accountId}`;

  function sessionKey(request: ParsedRequest): string {
    const policyHash = request.sessionPolicy
      ? createHash('sha256').update(request.sessionPolicy).digest('base64url')
      : '';
    return [
      connectionKey(request.customerId, request.accountId),
      request.sourceIdentity,
      request.durationSeconds,
      policyHash,
    ].join('\u0000');
  }

  /** Forgets every session of a connection that is no longer ACTIVE, so no credential lingers in memory. */
  function forget(customerId: string, accountId: string): void {
    const prefix = `${connectionKey(customerId, accountId)}\u0000`;
    for (const key of [...sessions.keys()]) if (key.startsWith(prefix)) sessions.delete(key);
  }

  function assertActive({ access }: CheckedAccess): void {
    const { customerId, accountId, status } = access;
    if (status === 'ACTIVE') return;
    forget(customerId, accountId);
    switch (status) {
      case 'REGISTERED':
        throw new ValidationPendingError(customerId, accountId);
      case 'FAILED':
      case 'BROKEN':
        throw new ConnectionFailedError(customerId, accountId, status);
      case 'REVOKED':
        throw new ConnectionRevokedError(customerId, accountId);
    }
  }

  /**
   * What the SDK gets: the credentials, with an expiration that brings it back once the status is
   * half the staleness bound old (when the broker re-reads it ahead; at once with a bound of 0).
   */
  function present(
    credentials: CachedSession['credentials'] | Omit<AwsCredentialIdentity, 'expiration'>,
    accountId: string,
    checkedAt: number,
    expiresAt = Number.POSITIVE_INFINITY,
  ): AwsCredentialIdentity {
    const recheckAt = checkedAt + stalenessMs / 2 + SDK_REFRESH_WINDOW_MS;
    return { ...credentials, accountId, expiration: new Date(Math.min(expiresAt, recheckAt)) };
  }

  async function assumeRole(request: ParsedRequest, access: ConnectionAccess): Promise<CachedSession> {
    const { customerId, accountId } = request;
    const roleArn = access.roleArn as string;
    const startedAt = clock();
    let output: AssumeRoleCommandOutput;
    try {
      output = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: buildSessionName(serviceName, customerId, startedAt),
          ExternalId: access.externalId,
          SourceIdentity: request.sourceIdentity,
          DurationSeconds: request.durationSeconds,
          ...(request.sessionPolicy ? { Policy: request.sessionPolicy } : {}),
        }),
      );
    } catch (error) {
      const code = stsErrorCode(error);
      logger.warn('AssumeRole failed', { customerId, accountId, roleArn, stsErrorCode: code });
      if (code === 'AccessDenied' || code === 'AccessDeniedException') {
        // Inside the single flight: one STS denial counts once, however many callers waited on it.
        await repeatedDenials?.denied({ customerId, accountId });
        throw new AssumeRoleDeniedError(customerId, accountId, code, { cause: error });
      }
      throw new AssumeRoleFailedError(customerId, accountId, code, { cause: error });
    }
    const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = output.Credentials ?? {};
    if (!AccessKeyId || !SecretAccessKey || !SessionToken || !(Expiration instanceof Date)) {
      throw new AssumeRoleFailedError(customerId, accountId, 'IncompleteCredentials');
    }
    repeatedDenials?.succeeded({ customerId, accountId });
    // Only what identifies the session is logged; the credentials never are.
    logger.info('Assumed customer role', {
      customerId,
      accountId,
      roleArn,
      sourceIdentity: request.sourceIdentity,
      expiresAt: Expiration.toISOString(),
    });
    return {
      credentials: { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken },
      expiresAt: Expiration.getTime(),
      issuedFor: `${roleArn}\u0000${access.externalId}`,
    };
  }

  /** The credentials of a fresh session, remembered so the provider's next calls return them as they are. */
  function serve(
    state: ProviderState,
    status: ConnectionStatus,
    checked: CheckedAccess,
    session: CachedSession,
  ): AwsCredentialIdentity {
    const identity = present(session.credentials, status.accountId, checked.readAt, session.expiresAt);
    // With a bound of 0 every vend reads the status, so there is nothing to serve again.
    if (stalenessMs > 0) {
      state.served = { resolved: Promise.resolve(identity), status, checked, session, generation };
    }
    return identity;
  }

  async function vendRole(
    state: ProviderState,
    status: ConnectionStatus,
    checked: CheckedAccess,
  ): Promise<AwsCredentialIdentity> {
    const { access, readAt } = checked;
    const { request, sessionKey: key } = state;
    const { customerId, accountId } = request;
    if (!access.roleArn || !access.externalId) {
      throw new ConnectionMisconfiguredError(
        `The ACTIVE connection ${customerId}/${accountId} has no role ARN or External ID.`,
        customerId,
        accountId,
      );
    }
    const issuedFor = `${access.roleArn}\u0000${access.externalId}`;
    const cached = sessions.get(key);
    const usable = cached?.issuedFor === issuedFor ? cached : undefined;
    if (usable && usable.expiresAt - clock() > refreshBufferMs) return serve(state, status, checked, usable);

    const flightKey = `${key}\u0000${issuedFor}`;
    let flight = inFlight.get(flightKey);
    if (!flight) {
      flight = (async () => {
        try {
          const session = await assumeRole(request, access);
          sessions.set(key, session);
          return session;
        } finally {
          inFlight.delete(flightKey);
        }
      })();
      inFlight.set(flightKey, flight);
    }
    try {
      return serve(state, status, checked, await flight);
    } catch (error) {
      // A transient failure inside the refresh buffer keeps serving the still-valid session;
      // a denial does not: the customer's role no longer trusts us and the worker must know.
      const stillValid = usable && usable.expiresAt - clock() > MIN_REMAINING_TO_SERVE_MS;
      if (stillValid && !(error instanceof AssumeRoleDeniedError)) {
        logger.warn('Credential refresh failed; serving the cached session until it expires', {
          customerId,
          accountId,
          expiresAt: new Date(usable.expiresAt).toISOString(),
          error: error instanceof Error ? error.name : String(error),
        });
        return present(usable.credentials, accountId, readAt, usable.expiresAt);
      }
      throw error;
    }
  }

  async function vendLegacy(request: ParsedRequest, checked: CheckedAccess): Promise<AwsCredentialIdentity> {
    const { access, readAt } = checked;
    const { customerId, accountId } = request;
    if (!access.secretRef) {
      throw new ConnectionMisconfiguredError(
        `The legacy connection ${customerId}/${accountId} has no secret reference.`,
        customerId,
        accountId,
      );
    }
    let keys: Awaited<ReturnType<LegacyKeyReader['read']>>;
    try {
      keys = await legacyKeys.read(access.secretRef);
    } catch (error) {
      throw new LegacyKeysUnavailableError(
        `Legacy access keys for ${customerId}/${accountId} are unavailable: ${error instanceof Error ? error.message : 'unknown error'}`,
        customerId,
        accountId,
        { cause: error },
      );
    }
    warnDeprecated(access);
    const { accessKeyId, secretAccessKey, sessionToken } = keys;
    return present(
      { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      accountId,
      readAt,
    );
  }

  /** One structured warning per connection per hour, not one per request. */
  function warnDeprecated(access: ConnectionAccess): void {
    const key = connectionKey(access.customerId, access.accountId);
    const now = clock();
    const last = deprecationWarned.get(key);
    if (last !== undefined && now - last < 3_600_000) return;
    deprecationWarned.set(key, now);
    logger.warn('Deprecated: connection still uses long-lived access keys', {
      deprecation: 'ACCESS_KEYS',
      customerId: access.customerId,
      accountId: access.accountId,
      createdAt: access.createdAt,
      daysOnAccessKeys: Math.max(0, Math.floor((now - Date.parse(access.createdAt)) / DAY_MS)),
      migration: 'Ask the customer to run the Keyless setup; the role replaces the keys once validated.',
    });
  }

  async function vend(state: ProviderState): Promise<AwsCredentialIdentity> {
    const { request } = state;
    const status = checks.statusOf(request.customerId, request.accountId);
    const checked = await checks.check(status);
    assertActive(checked);
    return checked.access.authMethod === 'ACCESS_KEYS'
      ? vendLegacy(request, checked)
      : vendRole(state, status, checked);
  }

  const stateOf = (request: ParsedRequest): ProviderState => ({
    request,
    sessionKey: sessionKey(request),
    served: undefined,
  });

  return {
    credentialsFor(request) {
      const state = stateOf(parse(request));
      // Called by the SDK before each request it signs while the last credentials are due for a
      // re-check: while the status and the session it served last are both fresh, it returns the
      // very same settled promise, without reading, keying, allocating or awaiting anything.
      return function keylessCredentialProvider() {
        const { served } = state;
        if (served !== undefined && served.generation === generation) {
          const now = clock();
          if (
            served.session.expiresAt - now > refreshBufferMs &&
            checks.trusted(served.status, now) === served.checked
          ) {
            return served.resolved;
          }
        }
        return vend(state);
      };
    },
    getCredentials(request) {
      return vend(stateOf(parse(request)));
    },
    clear() {
      generation += 1;
      sessions.clear();
      checks.clear();
      deprecationWarned.clear();
    },
  };
}

/** The STS error code from an SDK exception (`AccessDenied`, `Throttling`, …). */
function stsErrorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const { Code, name } = error as { Code?: unknown; name?: unknown };
    if (typeof Code === 'string' && Code) return Code;
    if (typeof name === 'string' && name && name !== 'Error') return name;
  }
  return 'Unknown';
}
