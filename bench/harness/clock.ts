/**
 * A simulated wall clock for compressing hours of credential lifetimes into seconds of benchmark.
 *
 * Both contenders judge expiry against the process clock: the AWS SDK's memoized provider calls
 * `Date.now()` (refreshing 5 minutes before `Expiration`), and so does any code that builds
 * `new Date()`. Installing the clock replaces the global `Date` with a subclass whose `now()` and
 * argument-less constructor read simulated time, which advances only when the load generator
 * says so (`advance`). Timers, `performance.now()` and therefore every latency figure stay real.
 */

export interface SimulatedClock {
  /** Simulated epoch milliseconds. */
  now(): number;
  advance(ms: number): void;
  /** Puts the real `Date` back. */
  uninstall(): void;
}

export function installSimulatedClock(startMs: number = Date.now()): SimulatedClock {
  const RealDate = globalThis.Date;
  let simulated = startMs;

  class SimulatedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(simulated);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return simulated;
    }
  }

  globalThis.Date = SimulatedDate as DateConstructor;
  return {
    now: () => simulated,
    advance(ms: number) {
      simulated += ms;
    },
    uninstall() {
      globalThis.Date = RealDate;
    },
  };
}
