/**
 * Runs Lambda handlers in this process, as Lambda would: each is built once by its factory (its
 * clients and configuration are its cold start), then called with the event and a Lambda context.
 * The handlers come from a table of builders, by function name (function-table.ts for the real
 * functions; tests pass stand-ins).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export class FunctionNotFoundError extends Error {
  constructor(readonly functionName: string) {
    super(`Function not found: ${functionName}`);
    this.name = 'FunctionNotFoundError';
  }
}

/** What a handler threw, as Lambda reports it (`X-Amz-Function-Error: Unhandled`). */
export interface FunctionError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/**
 * `throttled`: the function was at its reserved concurrency, so it did not run (Lambda's 429
 * TooManyRequestsException); an asynchronous invocation is retried, a synchronous one refused.
 */
export type InvocationResult =
  | { ok: true; payload: unknown }
  | { ok: false; error: FunctionError; throttled?: true };

/** What one function has done since the system started: for `/_local/stats` and the benchmarks. */
export interface FunctionStats {
  invocations: number;
  throttles: number;
  running: number;
  peakConcurrency: number;
  reservedConcurrency?: number;
}

export type Handler = (event: unknown, context: Context) => Promise<unknown>;
/** Builds a function's handler: called once, at its first invocation (its cold start). */
export type HandlerBuilder = () => Handler | Promise<Handler>;

export interface LocalFunctionsOptions {
  handlers: Record<string, HandlerBuilder>;
  region: string;
  accountId: string;
  /** Name prefix of the deployed functions (`keyless-<folder>`). */
  namePrefix?: string;
  /** Each function's timeout (Lambda's "Task timed out"); a number applies to all. */
  timeoutMs?: number | ((name: string) => number);
  /**
   * Each function's reserved concurrency, as deployed: at most that many run at once, and an
   * invocation beyond it is throttled. Undefined: the account's unreserved pool (not limited here).
   */
  reservedConcurrency?: (name: string) => number | undefined;
  /** Called around each invocation, for the runtime's own log lines. */
  onInvoke?: (name: string, outcome: { durationMs: number; error?: FunctionError }) => void;
}

export type LocalFunctions = ReturnType<typeof createLocalFunctions>;

export function createLocalFunctions({
  handlers,
  region,
  accountId,
  namePrefix = 'keyless-',
  timeoutMs = 60_000,
  reservedConcurrency = () => undefined,
  onInvoke,
}: LocalFunctionsOptions) {
  const loaded = new Map<string, Promise<Handler>>();
  const counters = new Map<string, FunctionStats>();
  const countersOf = (name: string): FunctionStats => {
    let entry = counters.get(name);
    if (!entry) {
      const reserved = reservedConcurrency(name);
      entry = {
        invocations: 0,
        throttles: 0,
        running: 0,
        peakConcurrency: 0,
        ...(reserved === undefined ? {} : { reservedConcurrency: reserved }),
      };
      counters.set(name, entry);
    }
    return entry;
  };

  /** The functions there are, sorted. */
  function list(): string[] {
    return Object.keys(handlers).sort();
  }

  /** Accepts a folder name, the deployed name (`keyless-<folder>`) or a function ARN. */
  function resolveName(nameOrArn: string): string {
    const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? '') : nameOrArn;
    const candidates = [name, name.startsWith(namePrefix) ? name.slice(namePrefix.length) : undefined];
    const found = candidates.find((candidate) => candidate && list().includes(candidate));
    if (!found) throw new FunctionNotFoundError(nameOrArn);
    return found;
  }

  function load(name: string): Promise<Handler> {
    let handler = loaded.get(name);
    if (!handler) {
      const build = handlers[name] as HandlerBuilder;
      handler = Promise.resolve()
        .then(build)
        .then((built) => {
          if (typeof built !== 'function')
            throw new Error(`The factory of ${name} built no handler function.`);
          return built;
        });
      // A failed cold start is retried on the next invocation, as Lambda does.
      handler.catch(() => loaded.delete(name));
      loaded.set(name, handler);
    }
    return handler;
  }

  const timeoutOf = (name: string) => (typeof timeoutMs === 'function' ? timeoutMs(name) : timeoutMs);

  function contextFor(name: string): Context {
    const functionName = `${namePrefix}${name}`;
    const deadline = Date.now() + timeoutOf(name);
    const requestId = randomUUID();
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
      memoryLimitInMB: '512',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }

  /** Invokes a function and reports what it returned or threw, never throwing itself for a handler error. */
  async function invoke(nameOrArn: string, event: unknown): Promise<InvocationResult> {
    const name = resolveName(nameOrArn);
    const counter = countersOf(name);
    if (counter.reservedConcurrency !== undefined && counter.running >= counter.reservedConcurrency) {
      counter.throttles += 1;
      return {
        ok: false,
        throttled: true,
        error: { errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.', trace: [] },
      };
    }
    counter.invocations += 1;
    counter.running += 1;
    counter.peakConcurrency = Math.max(counter.peakConcurrency, counter.running);
    const started = performance.now();
    let result: InvocationResult;
    try {
      const handler = await load(name);
      // Lambda hands the handler a fresh copy of the JSON payload.
      const payload = await withTimeout(
        handler(structuredClone(event), contextFor(name)),
        timeoutOf(name),
        name,
      );
      result = { ok: true, payload: payload === undefined ? null : JSON.parse(JSON.stringify(payload)) };
    } catch (error) {
      result = { ok: false, error: toFunctionError(error) };
    } finally {
      counter.running -= 1;
    }
    onInvoke?.(name, {
      durationMs: performance.now() - started,
      ...(result.ok ? {} : { error: result.error }),
    });
    return result;
  }

  /** Every function's counters so far; `reset` starts them again (the peak from what runs now). */
  function stats({ reset = false }: { reset?: boolean } = {}): Record<string, FunctionStats> {
    const snapshot = Object.fromEntries([...counters].map(([name, entry]) => [name, { ...entry }]));
    if (reset) {
      for (const entry of counters.values()) {
        Object.assign(entry, { invocations: 0, throttles: 0, peakConcurrency: entry.running });
      }
    }
    return snapshot;
  }

  return { list, resolveName, invoke, stats };
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds (${name})`)),
      timeoutMs,
    );
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function toFunctionError(error: unknown): FunctionError {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}
