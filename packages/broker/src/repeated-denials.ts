/**
 * Notices a customer role that keeps refusing us (docs/architecture.md §2.2: repeated AccessDenied on
 * vends leads to a re-validation that marks a connection BROKEN when its role is gone) without giving workers any write access: after `threshold` consecutive STS
 * denials for one connection within `windowSeconds`, it asks the role validator to re-validate that one
 * connection. The validator proves the role with its own identity and decides: BROKEN (and a
 * `Role Validation Failed` event) when the role is really gone, nothing when the denial was ours (a
 * broker role that lost its permission must not break every customer).
 *
 * State is per execution environment, like the session cache. Requests are rate-limited twice: once
 * per connection per `cooldownSeconds`, and at most `maxRequestsPerMinute` in all, so a flood of
 * denials (or a provider-side outage that denies everything) cannot spam the validator.
 */
import { LRUCache } from 'lru-cache';
import type { BrokerLogger } from './types.ts';

export interface ConnectionRef {
  customerId: string;
  accountId: string;
}

/** Asks for a re-validation of one connection (e.g. an asynchronous invoke of the role validator). */
export type RevalidationRequester = (connection: ConnectionRef) => Promise<void>;

export type DenialOutcome = 'counted' | 'requested' | 'suppressed' | 'request-failed';

export interface RepeatedDenialWatch {
  /** Records one STS denial; asks for a re-validation once the threshold is reached. Never throws. */
  denied(connection: ConnectionRef): Promise<DenialOutcome>;
  /** A successful AssumeRole: the denials were not consecutive after all. */
  succeeded(connection: ConnectionRef): void;
}

export interface RepeatedDenialOptions {
  requestRevalidation: RevalidationRequester;
  logger: BrokerLogger;
  /** Consecutive denials of one connection that trigger a request. Default 3. */
  threshold?: number;
  /** Only denials this recent count. Default 900 (15 minutes). */
  windowSeconds?: number;
  /** At most one request per connection in this time. Default 3600. */
  cooldownSeconds?: number;
  /** At most this many requests per minute, all connections together. Default 10. */
  maxRequestsPerMinute?: number;
  /** LRU bound on tracked connections. Default 1000. */
  maxTracked?: number;
  /** Epoch milliseconds; injectable for tests. */
  clock?: () => number;
}

interface Tracked {
  /** Epoch ms of the consecutive denials still inside the window. */
  denials: number[];
  /** Epoch ms of the last request made for this connection. */
  requestedAt?: number;
}

const MINUTE_MS = 60_000;

export function createRepeatedDenialWatch(options: RepeatedDenialOptions): RepeatedDenialWatch {
  const {
    requestRevalidation,
    logger,
    threshold = 3,
    windowSeconds = 900,
    cooldownSeconds = 3600,
    maxRequestsPerMinute = 10,
    maxTracked = 1000,
    clock = Date.now,
  } = options;
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError('threshold must be 1 or more');
  const windowMs = windowSeconds * 1000;
  const cooldownMs = cooldownSeconds * 1000;
  const tracked = new LRUCache<string, Tracked>({ max: maxTracked });
  let recentRequests: number[] = [];

  const keyOf = ({ customerId, accountId }: ConnectionRef) => `${customerId}\u0000${accountId}`;

  return {
    async denied(connection) {
      const now = clock();
      const key = keyOf(connection);
      const entry = tracked.get(key) ?? { denials: [] };
      entry.denials = [...entry.denials.filter((at) => now - at < windowMs), now];
      tracked.set(key, entry);
      if (entry.denials.length < threshold) return 'counted';

      const { customerId, accountId } = connection;
      const coolingDown = entry.requestedAt !== undefined && now - entry.requestedAt < cooldownMs;
      recentRequests = recentRequests.filter((at) => now - at < MINUTE_MS);
      if (coolingDown || recentRequests.length >= maxRequestsPerMinute) {
        logger.debug('Re-validation already requested or rate-limited', { customerId, accountId });
        return 'suppressed';
      }
      // Claimed before the await, so concurrent denials ask once.
      entry.requestedAt = now;
      entry.denials = [];
      recentRequests.push(now);
      try {
        await requestRevalidation(connection);
        logger.warn('Customer role denied AssumeRole repeatedly; re-validation requested', {
          customerId,
          accountId,
          denials: threshold,
          windowSeconds,
        });
        return 'requested';
      } catch (error) {
        // The next denial may ask again; the per-minute cap still bounds the attempts.
        delete entry.requestedAt;
        logger.error('Could not request a re-validation', {
          customerId,
          accountId,
          error: error instanceof Error ? error.name : String(error),
        });
        return 'request-failed';
      }
    },
    succeeded(connection) {
      tracked.delete(keyOf(connection));
    },
  };
}
