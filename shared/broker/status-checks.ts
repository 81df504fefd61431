/**
 * The broker's connection status checks: which read of a connection's status a vend may trust.
 *
 * The guarantee (docs/architecture.md §6, invariant 5): a vend that starts at `t` is served only from a strongly consistent
 * status read that *began* at or after `t − bound`. With the default bound of 0 that means a read
 * that began after the vend did, so a revocation committed before a vend starts is always seen.
 *
 * Within that guarantee, reads of one connection are coalesced:
 * - A vend joins the read in flight only if that read began within the bound (never with a bound
 *   of 0: it began before the vend).
 * - Otherwise it joins the one *queued* read, which is sent when the read in flight settles, so
 *   it begins after every vend waiting on it started. A connection therefore has at most one read
 *   in flight and one queued, however many vends arrive: N concurrent vends cost two reads, not N.
 * - Refresh ahead (bound > 0): once the trusted status is half the bound old, a vend still uses it
 *   and starts one background re-read, so a busy connection's vends never wait for DynamoDB. Past
 *   the bound nothing is served from the old status: the vend waits for a read within the bound.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { LRUCache } from 'lru-cache';
import type { ConnectionAccess } from '../domain/connection.ts';
import type { ConnectionStore } from '../store/connection-store.ts';
import { NotOnboardedError } from './errors.ts';

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
}

export interface StatusChecks {
  /** The status record of a connection (created on first use, LRU-bounded). */
  statusOf(customerId: string, accountId: string): ConnectionStatus;
  /**
   * The trusted status, without waiting, when it is younger than the bound (starting a background
   * re-read once it is half the bound old); otherwise `undefined` and the caller must `read`.
   */
  trusted(status: ConnectionStatus, now: number): CheckedAccess | undefined;
  /** A status the vend may use: cached within the bound, or from a read it may join. */
  check(status: ConnectionStatus): Promise<CheckedAccess>;
  clear(): void;
}

export interface StatusChecksOptions {
  store: Pick<ConnectionStore, 'getConnectionAccess'>;
  /** How long a read status may be trusted, in ms; 0 re-reads for every vend. */
  stalenessMs: number;
  maxEntries: number;
  /** Called when a read finds the connection missing or not ACTIVE (to drop its sessions). */
  onInactive(customerId: string, accountId: string): void;
  logger: Logger;
  clock: () => number;
}

export function createStatusChecks(options: StatusChecksOptions): StatusChecks {
  const { store, stalenessMs, maxEntries, onInactive, logger, clock } = options;
  const refreshAheadMs = stalenessMs / 2;
  const statuses = new LRUCache<string, ConnectionStatus>({ max: maxEntries });

  function statusOf(customerId: string, accountId: string): ConnectionStatus {
    const key = `${customerId}\u0000${accountId}`;
    let status = statuses.get(key);
    if (!status) {
      status = { customerId, accountId, checked: undefined, inFlight: undefined, queued: undefined };
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
          if (!status.checked || status.checked.readAt <= startedAt) status.checked = checked;
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

  function trusted(status: ConnectionStatus, now: number): CheckedAccess | undefined {
    const { checked } = status;
    if (!checked) return undefined;
    const age = now - checked.readAt;
    if (age >= stalenessMs) return undefined;
    if (age >= refreshAheadMs) refreshAhead(status);
    return checked;
  }

  async function check(status: ConnectionStatus): Promise<CheckedAccess> {
    const now = clock();
    const cached = trusted(status, now);
    if (cached) return cached;
    // A read in flight may be joined only if it began within the bound (with a bound of 0: never).
    const { inFlight } = status;
    const checked =
      inFlight && now - inFlight.startedAt < stalenessMs
        ? await inFlight.promise
        : await readAfterNow(status);
    if (!checked) throw new NotOnboardedError(status.customerId, status.accountId);
    return checked;
  }

  return {
    statusOf,
    trusted,
    check,
    clear() {
      for (const status of statuses.values()) status.checked = undefined;
      statuses.clear();
    },
  };
}
