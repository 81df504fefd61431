/**
 * The broker's connection status checks: which read of a connection's status a vend may trust
 * (docs/architecture.md §2.3, invariant 5). Three modes:
 *
 * - `strict` (default): a vend is served only from a strongly consistent read that *began* after
 *   the vend did, so a revocation committed before a vend starts is always seen.
 * - `bounded`: a read is trusted for `stalenessSeconds`; revocation is seen within that bound.
 * - `feed`: a read of an ACTIVE connection is trusted while the revocation feed
 *   (revocation-feed-follower.ts) confirms, by a poll that began within the interval, that no
 *   entry names the connection since it was read; revocation is seen within the interval.
 *
 * In every mode a vend may be served from a read that began at or after `now − bound` (bound 0 in
 * strict mode), and reads of one connection are coalesced within that rule:
 * - A vend joins the read in flight only if that read began within the bound (never when strict).
 * - Otherwise it joins the one *queued* read, sent when the read in flight settles, so it begins
 *   after every vend waiting on it started: N concurrent vends cost two reads, not N.
 * - No wait inside the bound: once a trusted status (or the feed's confirmation) is past its
 *   refresh point, a vend still uses it and starts one background re-read (or poll). Only a cold
 *   connection, or a refresh that has not returned by the end of the bound, makes a vend wait.
 */
import { LRUCache } from 'lru-cache';
import { NotOnboardedError } from './errors.ts';
import { createFeedFollower, type FeedFollower } from './revocation-feed-follower.ts';
import type { BrokerLogger, ConnectionAccess, RevocationFeedReader, StatusReader } from './types.ts';

/** How the broker learns of revocations; see the module comment. */
export type RevocationCheck =
  | { mode: 'strict' }
  | { mode: 'bounded'; stalenessSeconds: number }
  | { mode: 'feed'; feed: RevocationFeedReader; intervalSeconds?: number };

/** The feed's default poll interval: revocation is seen by every instance within it. */
export const DEFAULT_FEED_INTERVAL_SECONDS = 1;
/** A bounded status is re-read in the background once it is this share of the bound old. */
const STATUS_REFRESH_AT = 0.5;

export interface CheckedAccess {
  access: ConnectionAccess;
  /** Epoch ms at which the strongly consistent read this status comes from began. */
  readAt: number;
}

interface StatusRead {
  /** Epoch ms at which the read was sent. */
  startedAt: number;
  promise: Promise<CheckedAccess | undefined>;
}

/** One connection's status: the last read, the read in flight and the read queued behind it. */
export interface ConnectionStatus {
  readonly customerId: string;
  readonly accountId: string;
  /** The latest read that found the connection; replaced (never mutated) by each newer read. */
  checked: CheckedAccess | undefined;
  inFlight: StatusRead | undefined;
  queued: Promise<CheckedAccess | undefined> | undefined;
  /** Reads that began before this (epoch ms) are never kept: a feed entry named the connection since. */
  notBefore: number;
}

export interface StatusChecks {
  /** The status record of a connection (created on first use, LRU-bounded). */
  statusOf(customerId: string, accountId: string): ConnectionStatus;
  /**
   * The trusted status, without waiting, when it is within the bound (starting a background
   * refresh once it is past its refresh point); otherwise `undefined` and the caller must `check`.
   */
  trusted(status: ConnectionStatus, now: number): CheckedAccess | undefined;
  /** A status the vend may use: trusted within the bound, or from a read it may join. */
  check(status: ConnectionStatus): Promise<CheckedAccess>;
  /** Epoch ms from which a status should be checked again (what the SDK is told to come back at). */
  recheckAt(checked: CheckedAccess): number;
  clear(): void;
}

export interface StatusChecksOptions {
  store: StatusReader;
  revocation: RevocationCheck;
  maxEntries: number;
  /** Called when a read finds the connection missing or not ACTIVE (to drop its sessions). */
  onInactive(customerId: string, accountId: string): void;
  logger: BrokerLogger;
  clock: () => number;
}

const keyOf = (customerId: string, accountId: string) => `${customerId}\u0000${accountId}`;

/** The longest a read may be trusted on its own age, in ms: 0, the staleness bound, or the feed interval. */
function boundOf(revocation: RevocationCheck): number {
  switch (revocation.mode) {
    case 'strict':
      return 0;
    case 'bounded':
      return revocation.stalenessSeconds * 1000;
    case 'feed':
      return (revocation.intervalSeconds ?? DEFAULT_FEED_INTERVAL_SECONDS) * 1000;
  }
}

export function createStatusChecks(options: StatusChecksOptions): StatusChecks {
  const { store, revocation, maxEntries, onInactive, logger, clock } = options;
  const boundMs = boundOf(revocation);
  if (!(boundMs >= 0) || (revocation.mode !== 'strict' && boundMs === 0)) {
    throw new RangeError(`The ${revocation.mode} revocation check needs a bound above 0 seconds.`);
  }
  const statuses = new LRUCache<string, ConnectionStatus>({ max: maxEntries });
  const follower: FeedFollower | undefined =
    revocation.mode === 'feed'
      ? createFeedFollower({
          feed: revocation.feed,
          intervalMs: boundMs,
          logger,
          clock,
          onEntry(customerId, accountId, revealedAt) {
            // A connection this instance never saw has nothing to forget.
            const status = statuses.peek(keyOf(customerId, accountId));
            if (!status) return;
            status.checked = undefined;
            status.notBefore = Math.max(status.notBefore, revealedAt);
          },
          onContinuityLost(at) {
            // Entries older than the feed keeps may be gone: every status is read again.
            for (const status of statuses.values()) {
              status.checked = undefined;
              status.notBefore = Math.max(status.notBefore, at);
            }
          },
        })
      : undefined;

  function statusOf(customerId: string, accountId: string): ConnectionStatus {
    const key = keyOf(customerId, accountId);
    let status = statuses.get(key);
    if (!status) {
      status = {
        customerId,
        accountId,
        checked: undefined,
        inFlight: undefined,
        queued: undefined,
        notBefore: Number.NEGATIVE_INFINITY,
      };
      statuses.set(key, status);
    }
    return status;
  }

  /** Sends a read now; its answer becomes the trusted status unless a newer one already has. */
  function startRead(status: ConnectionStatus): Promise<CheckedAccess | undefined> {
    const { customerId, accountId } = status;
    const startedAt = clock();
    const read: StatusRead = {
      startedAt,
      promise: store.getConnectionAccess(customerId, accountId).then(
        (access) => {
          if (status.inFlight === read) status.inFlight = undefined;
          const checked = access ? { access, readAt: startedAt } : undefined;
          const newest = !status.checked || status.checked.readAt <= startedAt;
          if (newest && startedAt >= status.notBefore) status.checked = checked;
          if (access?.status !== 'ACTIVE') onInactive(customerId, accountId);
          return checked;
        },
        (error: unknown) => {
          if (status.inFlight === read) status.inFlight = undefined;
          throw error;
        },
      ),
    };
    status.inFlight = read;
    return read.promise;
  }

  /** A read that begins after this call: the queued one, or a new one when nothing is in flight. */
  function readAfterNow(status: ConnectionStatus): Promise<CheckedAccess | undefined> {
    if (status.queued) return status.queued;
    const ahead = status.inFlight;
    if (!ahead) return startRead(status);
    const sendQueued = () => {
      status.queued = undefined;
      return startRead(status);
    };
    status.queued = ahead.promise.then(sendQueued, sendQueued);
    return status.queued;
  }

  function refreshAhead(status: ConnectionStatus): void {
    if (status.inFlight || status.queued) return;
    startRead(status).catch((error: unknown) => {
      // The vend that needs this status past the bound reads again and sees the error itself.
      logger.warn('Background connection status read failed', {
        customerId: status.customerId,
        accountId: status.accountId,
        error: error instanceof Error ? error.name : String(error),
      });
    });
  }

  /** True when the feed vouches for this status: ACTIVE, read after the feed's first poll began. */
  function feedVouches(checked: CheckedAccess): boolean {
    return (
      follower !== undefined && checked.access.status === 'ACTIVE' && follower.vouchesFor(checked.readAt)
    );
  }

  function trusted(status: ConnectionStatus, now: number): CheckedAccess | undefined {
    const { checked } = status;
    if (!checked || boundMs === 0) return undefined;
    if (follower && feedVouches(checked)) {
      const confirmedAt = Math.max(checked.readAt, follower.confirmedAt());
      if (now - confirmedAt >= boundMs) return undefined;
      follower.refreshAhead(now);
      return checked;
    }
    const age = now - checked.readAt;
    if (age >= boundMs) return undefined;
    if (age >= boundMs * STATUS_REFRESH_AT) refreshAhead(status);
    return checked;
  }

  async function check(status: ConnectionStatus): Promise<CheckedAccess> {
    let now = clock();
    const cached = trusted(status, now);
    if (cached) return cached;
    if (follower) {
      // Until a poll succeeds, every vend polls: the feed vouches only for reads begun after its
      // first poll began. A connection never read needs a read anyway, so it sends it as soon as
      // that poll has begun and waits for both together, not one after the other.
      const known = status.checked;
      if (!follower.vouching() && !known && !status.inFlight) {
        // A lost poll (already retried) leaves the read standing as a strict-mode read: it began
        // after this vend did.
        const poll = follower.pollWithin(now).catch(() => undefined);
        const read = readAfterNow(status);
        const [checked] = await Promise.all([read, poll]);
        if (!checked) throw new NotOnboardedError(status.customerId, status.accountId);
        return checked;
      }
      // A known status past the interval waits for one poll, not for a read.
      if (!follower.vouching() || (known && feedVouches(known))) {
        try {
          await follower.pollWithin(now);
          now = clock();
          const confirmed = trusted(status, now);
          if (confirmed) return confirmed;
        } catch {
          // A lost poll (already retried): this vend reads the status itself, as in strict mode.
        }
      }
    }
    // A read in flight may be joined only if it began within the bound (strict: never).
    const { inFlight } = status;
    const checked =
      inFlight && now - inFlight.startedAt < boundMs ? await inFlight.promise : await readAfterNow(status);
    if (!checked) throw new NotOnboardedError(status.customerId, status.accountId);
    return checked;
  }

  function recheckAt(checked: CheckedAccess): number {
    if (follower && feedVouches(checked)) return Math.max(checked.readAt, follower.confirmedAt());
    return checked.readAt + boundMs * STATUS_REFRESH_AT;
  }

  return {
    statusOf,
    trusted,
    check,
    recheckAt,
    clear() {
      for (const status of statuses.values()) status.checked = undefined;
      statuses.clear();
      follower?.reset();
    },
  };
}
