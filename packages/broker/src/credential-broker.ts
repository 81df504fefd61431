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
 *   status it was checked against is due for a re-check (status-checks.ts): in the default strict
 *   mode and in feed mode the SDK asks again before every request; with a staleness bound, once
 *   the status is half the bound old.
 * - The broker caches the STS session itself (per connection and request shape, LRU-bounded,
 *   refreshed `refreshBufferSeconds` before the real expiry), so those extra vends cost one small
 *   strongly consistent DynamoDB read, never an AssumeRole. Concurrent misses share one
 *   AssumeRole (single flight); a failed refresh is never cached and never evicts a good session.
 *   Concurrent status reads of one connection are coalesced too, within the revocation guarantee.
 * - A provider from `credentialsFor` keys its request once; while the status and the session it
 *   served last are fresh (feed or bounded mode), a call returns the same settled promise.
 */
import { createHash } from 'node:crypto';
import { AssumeRoleCommand, type AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { LRUCache } from 'lru-cache';
import { type CredentialRequest, type ParsedRequest, parseCredentialRequest } from './credential-request.ts';
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
import {
  type CheckedAccess,
  type ConnectionStatus,
  createStatusChecks,
  type RevocationCheck,
} from './status-checks.ts';
import type {
  BrokerLogger,
  ConnectionAccess,
  LegacyKeyReader,
  LegacyKeys,
  StatusReader,
  StsClient,
} from './types.ts';

/**
 * How long before a reported `expiration` the AWS SDK treats credentials as expired and calls
 * the provider again (`EXPIRATION_MS` in @smithy/core's memoizeIdentityProvider).
 */
export const SDK_REFRESH_WINDOW_MS = 300_000;
/** A session this close to STS's expiry is not served when its refresh fails. */
const MIN_REMAINING_TO_SERVE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface CredentialBroker {
  /** An SDK v3 credential provider for the customer's account; validates the request at once. */
  credentialsFor(request: CredentialRequest): AwsCredentialIdentityProvider;
  /** One vend: checks the connection, then returns cached or fresh credentials. */
  getCredentials(request: CredentialRequest): Promise<AwsCredentialIdentity>;
  /** Drops every cached session and status (tests, or after a known mass revocation). */
  clear(): void;
}

export interface CredentialBrokerOptions {
  /** The connection status read (strongly consistent, projected): dynamodb.ts, or a store. */
  store: StatusReader;
  /** The STS client, running with the broker's own (provider-account) credentials. */
  sts: StsClient;
  /** Reads legacy access keys (Secrets Manager, cached). */
  legacyKeys: LegacyKeyReader;
  /** `<service>` in the session name `<service>-<customerId>-<unix time>`. */
  serviceName: string;
  /** Default SourceIdentity: the calling worker's name (e.g. AWS_LAMBDA_FUNCTION_NAME). */
  sourceIdentity: string;
  logger: BrokerLogger;
  /** Refresh a cached session this long before STS's expiry. Default 300. */
  refreshBufferSeconds?: number;
  /**
   * How revocation reaches this instance (status-checks.ts). Default `{ mode: 'strict' }`: every
   * vend is served from a status read begun after it started (invariant 5).
   */
  revocation?: RevocationCheck;
  /** LRU bound on cached sessions per execution environment. Default 1000. */
  maxCachedSessions?: number;
  /**
   * Told of every STS denial and success, so a role that keeps refusing us gets re-validated (and
   * marked BROKEN by the validator if it is gone). Off when omitted.
   */
  repeatedDenials?: RepeatedDenialWatch;
  /**
   * Wraps each AssumeRole call (a trace subsegment, a metric): told the connection's ids, never the
   * credentials. Keeps this package free of any tracing library. Off when omitted.
   */
  observeAssumeRole?: AssumeRoleObserver;
  /** Epoch milliseconds; injectable for tests. */
  clock?: () => number;
}

/** See CredentialBrokerOptions.observeAssumeRole. */
export type AssumeRoleObserver = <T>(
  call: { customerId: string; accountId: string },
  assume: () => Promise<T>,
) => Promise<T>;

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

export function createCredentialBroker(options: CredentialBrokerOptions): CredentialBroker {
  const {
    store,
    sts,
    legacyKeys,
    serviceName,
    logger,
    refreshBufferSeconds = 300,
    revocation = { mode: 'strict' },
    maxCachedSessions = 1000,
    repeatedDenials,
    observeAssumeRole,
    clock = Date.now,
  } = options;
  const defaultSourceIdentity = assertSourceIdentity(options.sourceIdentity);
  const refreshBufferMs = refreshBufferSeconds * 1000;
  const sessions = new LRUCache<string, CachedSession>({ max: maxCachedSessions });
  const checks = createStatusChecks({
    store,
    revocation,
    maxEntries: maxCachedSessions,
    onInactive: forget,
    logger,
    clock,
  });
  /** Bumped by `clear()`: what a provider served before it is never served again. */
  let generation = 0;
  const inFlight = new Map<string, Promise<CachedSession>>();
  const deprecationWarned = new LRUCache<string, number>({ max: maxCachedSessions });

  const parse = (request: CredentialRequest) => parseCredentialRequest(request, defaultSourceIdentity);

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
   * due for a re-check (at once in strict and feed mode; at half the bound when bounded).
   */
  function present(
    credentials: CachedSession['credentials'] | Omit<AwsCredentialIdentity, 'expiration'>,
    accountId: string,
    checked: CheckedAccess,
    expiresAt = Number.POSITIVE_INFINITY,
  ): AwsCredentialIdentity {
    const recheckAt = checks.recheckAt(checked) + SDK_REFRESH_WINDOW_MS;
    return { ...credentials, accountId, expiration: new Date(Math.min(expiresAt, recheckAt)) };
  }

  async function assumeRole(request: ParsedRequest, access: ConnectionAccess): Promise<CachedSession> {
    const { customerId, accountId } = request;
    const roleArn = access.roleArn as string;
    const startedAt = clock();
    let output: AssumeRoleCommandOutput;
    try {
      const send = () =>
        sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: buildSessionName(serviceName, customerId, startedAt),
            ExternalId: access.externalId,
            SourceIdentity: request.sourceIdentity,
            DurationSeconds: request.durationSeconds,
            ...(request.sessionPolicy ? { Policy: request.sessionPolicy } : {}),
          }),
        );
      output = await (observeAssumeRole ? observeAssumeRole({ customerId, accountId }, send) : send());
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
    const identity = present(session.credentials, status.accountId, checked, session.expiresAt);
    // In strict mode every vend reads the status, so there is nothing to serve again.
    if (revocation.mode !== 'strict') {
      state.served = { resolved: Promise.resolve(identity), status, checked, session, generation };
    }
    return identity;
  }

  async function vendRole(
    state: ProviderState,
    status: ConnectionStatus,
    checked: CheckedAccess,
  ): Promise<AwsCredentialIdentity> {
    const { access } = checked;
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
        return present(usable.credentials, accountId, checked, usable.expiresAt);
      }
      throw error;
    }
  }

  async function vendLegacy(request: ParsedRequest, checked: CheckedAccess): Promise<AwsCredentialIdentity> {
    const { access } = checked;
    const { customerId, accountId } = request;
    if (!access.secretRef) {
      throw new ConnectionMisconfiguredError(
        `The legacy connection ${customerId}/${accountId} has no secret reference.`,
        customerId,
        accountId,
      );
    }
    let keys: LegacyKeys;
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
      checked,
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
