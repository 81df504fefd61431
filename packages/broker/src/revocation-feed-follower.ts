/**
 * Follows the revocation feed (docs/architecture.md §2.3): one strongly consistent read of the
 * feed's head per interval, and a read of the entries only when the head moved. Each entry names a
 * connection that left ACTIVE (or changed its role or External ID): the broker forgets that
 * connection's status, so its next vend reads it again.
 *
 * `confirmedAt` is when the latest poll that caught up *began*: every entry committed before it has
 * been applied. A status read after the first poll began may be trusted until `confirmedAt` (or its
 * own read, if later) is one interval old.
 */
import type { BrokerLogger, RevocationFeedReader } from './types.ts';

/**
 * How far before the previous head's time the entries are read again: covers writers' clock skew
 * and transactions committed a while after they took their timestamp. Entries are deduplicated.
 */
export const FEED_LOOKBACK_MS = 5 * 60_000;
/**
 * Entries are kept a day (their TTL). An instance whose last poll is older than this may have
 * missed entries already deleted, so it forgets every status instead.
 */
export const FEED_CONTINUITY_MS = 12 * 3_600_000;
/** A poll starts in the background once the confirmation is this share of the interval old. */
const POLL_AHEAD_AT = 0.8;

export interface FeedFollower {
  /** Epoch ms at which the latest poll that caught up began (−∞ before the first). */
  confirmedAt(): number;
  /** True once a poll has succeeded: statuses read after it began can be vouched for. */
  vouching(): boolean;
  /** True when a status read at `readAt` began after the first successful poll did. */
  vouchesFor(readAt: number): boolean;
  /** Starts one background poll once the confirmation is past its refresh point. */
  refreshAhead(now: number): void;
  /** Waits for a poll that began at or after `now − interval` (retried once); throws if both fail. */
  pollWithin(now: number): Promise<void>;
  /** Forgets everything (the broker's clear()). */
  reset(): void;
}

export interface FeedFollowerOptions {
  feed: RevocationFeedReader;
  intervalMs: number;
  /** An entry named this connection; reads that began before `revealedAt` may be stale. */
  onEntry(customerId: string, accountId: string, revealedAt: number): void;
  /** Entries may have been missed (the last poll is too old): every status read before `at` is stale. */
  onContinuityLost(at: number): void;
  logger: BrokerLogger;
  clock: () => number;
}

interface Poll {
  startedAt: number;
  promise: Promise<void>;
}

export function createFeedFollower(options: FeedFollowerOptions): FeedFollower {
  const { feed, intervalMs, onEntry, onContinuityLost, logger, clock } = options;
  let confirmedAt = Number.NEGATIVE_INFINITY;
  let baselineAt: number | undefined;
  let lastSequence: number | undefined;
  let lastHeadAt: string | undefined;
  /** Entry ids already applied, with their time, kept while they are inside the lookback. */
  let seen = new Map<string, string>();
  let inFlight: Poll | undefined;

  async function catchUp(startedAt: number): Promise<void> {
    const head = await feed.readHead();
    if (lastSequence !== undefined && head.sequence !== lastSequence) {
      const since = lastHeadAt ? new Date(Date.parse(lastHeadAt) - FEED_LOOKBACK_MS).toISOString() : '';
      const entries = await feed.readEntriesSince(since);
      for (const entry of entries) {
        if (seen.has(entry.entryId)) continue;
        seen.set(entry.entryId, entry.at);
        onEntry(entry.customerId, entry.accountId, startedAt);
      }
      seen = new Map([...seen].filter(([, at]) => at >= since));
    }
    if (startedAt - confirmedAt > FEED_CONTINUITY_MS && baselineAt !== undefined) onContinuityLost(startedAt);
    // The first poll needs no entries: every status this instance keeps is read after it began.
    lastSequence = head.sequence;
    lastHeadAt = head.updatedAt ?? lastHeadAt;
    baselineAt ??= startedAt;
    confirmedAt = Math.max(confirmedAt, startedAt);
  }

  function startPoll(): Poll {
    const startedAt = clock();
    const poll: Poll = {
      startedAt,
      promise: catchUp(startedAt).finally(() => {
        if (inFlight === poll) inFlight = undefined;
      }),
    };
    inFlight = poll;
    return poll;
  }

  /** The poll in flight if it began within the interval, else a new one. */
  function pollFrom(now: number): Poll {
    return inFlight && inFlight.startedAt >= now - intervalMs ? inFlight : startPoll();
  }

  return {
    confirmedAt: () => confirmedAt,
    vouching: () => baselineAt !== undefined,
    vouchesFor: (readAt) => baselineAt !== undefined && readAt >= baselineAt,
    refreshAhead(now) {
      if (inFlight || now - confirmedAt < intervalMs * POLL_AHEAD_AT) return;
      startPoll().promise.catch((error: unknown) => {
        // The vend that needs the feed past the interval polls again and falls back to a status read.
        logger.warn('Revocation feed poll failed', {
          error: error instanceof Error ? error.name : String(error),
        });
      });
    },
    async pollWithin(now) {
      try {
        await pollFrom(now).promise;
      } catch (error) {
        logger.warn('Revocation feed poll failed; retrying once', {
          error: error instanceof Error ? error.name : String(error),
        });
        await pollFrom(now).promise;
      }
    },
    reset() {
      confirmedAt = Number.NEGATIVE_INFINITY;
      baselineAt = undefined;
      lastSequence = undefined;
      lastHeadAt = undefined;
      seen = new Map();
      inFlight = undefined;
    },
  };
}
