/**
 * X-Ray tracing for a Keyless function (docs/architecture.md §11). Lambda's active tracing opens a
 * segment for every invocation and runs an X-Ray daemon beside the function; this adds the
 * subsegments beneath it: `## <handler>` per invocation (annotated `ColdStart` and `Service`), one per
 * AWS SDK call of a captured client (aws-call.ts), and the named ones a caller opens. Nothing is
 * recorded for an unsampled invocation, nothing outside Lambda, and tracing never changes what the
 * traced code answers or throws.
 *
 * This replaces Powertools' tracer, whose X-Ray SDK for Node.js is in maintenance mode since
 * 2026-02-25 and out of support from 2027-02-25, and which alone was about a sixth of each bundle
 * (§9, *Bundles*).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type TraceableClient, traceAwsCalls } from './aws-call.ts';
import { createDaemonSink, type SegmentSink } from './daemon.ts';
import { openSubsegment, type Subsegment } from './subsegment.ts';
import { parseTraceHeader, type TracePosition } from './trace-header.ts';

export type { TraceableClient } from './aws-call.ts';
export { XRAY_MIDDLEWARE_NAME } from './aws-call.ts';
export type { Subsegment } from './subsegment.ts';

/**
 * Captures a client made for one customer's session (the validator's IAM, Organizations, STS and
 * probe clients): `tracer.captureAWSv3Client`, handed to what makes such clients.
 */
export type CaptureClient = (client: TraceableClient) => void;

export interface Tracer {
  isTracingEnabled(): boolean;
  /** Adds a subsegment, and the outgoing trace header, to every call of `client` (once per stack). */
  captureAWSv3Client(client: TraceableClient): void;
  /** Runs `fn` in a subsegment `name` of the current one; `fn` gets undefined when not traced. */
  captureAsyncFunc<T>(name: string, fn: (subsegment: Subsegment | undefined) => Promise<T>): Promise<T>;
  /**
   * `handler`, run in its invocation's `## <handler>` subsegment. An answer carrying an HTTP
   * `statusCode` (the setup API's) is recorded as that response: `error` for a 4xx, `fault` for a 5xx.
   */
  traceHandler<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R>;
}

export interface XRayTracerOptions {
  serviceName: string;
  /** False turns tracing off whatever the environment (the local runtime, the tests). */
  enabled?: boolean;
  /** Where documents go; by default the daemon of AWS_XRAY_DAEMON_ADDRESS, and none without it. */
  sink?: SegmentSink | undefined;
  /** The invocation's trace header; by default Lambda's (lambdaTraceHeader). */
  invocationHeader?: () => string | undefined;
  /** Epoch milliseconds. */
  now?: () => number;
  /**
   * The Lambda environment, read when the tracer is built (the daemon, the handler's name, the
   * initialization type) and, for `_X_AMZN_TRACE_ID`, at each invocation: pass the live object.
   */
  env?: Record<string, string | undefined>;
}

/**
 * Lambda's trace header for the current invocation: from the runtime's per-invocation store when the
 * environment runs several invocations at once (Lambda Managed Instances), else `_X_AMZN_TRACE_ID`,
 * which the Node.js runtime sets for each invocation. Undefined if reading it fails.
 */
export function lambdaTraceHeader(env: Record<string, string | undefined>): string | undefined {
  try {
    const runtime = globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } } };
    return runtime.awslambda?.InvokeStore?.getXRayTraceId() ?? env._X_AMZN_TRACE_ID;
  } catch {
    return undefined;
  }
}

/** An HTTP answer's status on the handler's subsegment (an API Gateway proxy answer's `statusCode`). */
function recordAnswerStatus(subsegment: Subsegment, answer: unknown): void {
  try {
    const status = (answer as { statusCode?: unknown } | null | undefined)?.statusCode;
    if (typeof status === 'number') subsegment.recordResponse(status);
  } catch {
    // An answer that cannot be read is still the answer.
  }
}

export function createXRayTracer(options: XRayTracerOptions): Tracer {
  const env = options.env ?? process.env;
  const sink =
    options.enabled === false
      ? undefined
      : 'sink' in options
        ? options.sink
        : createDaemonSink(env.AWS_XRAY_DAEMON_ADDRESS);
  const now = options.now ?? Date.now;
  const readHeader = options.invocationHeader ?? (() => lambdaTraceHeader(env));
  const invocationPosition = (): TracePosition | undefined => {
    try {
      return parseTraceHeader(readHeader());
    } catch {
      return undefined;
    }
  };
  // The position of the innermost open subsegment of this async call chain.
  const current = new AsyncLocalStorage<TracePosition>();
  const positionNow = () => current.getStore() ?? invocationPosition();
  // A provisioned environment's first invocation is no cold start: its init ran ahead of demand.
  let coldStart = env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';

  async function inSubsegment<T>(
    name: string,
    parent: TracePosition,
    target: SegmentSink,
    fn: (subsegment: Subsegment) => Promise<T>,
  ): Promise<T> {
    const subsegment = openSubsegment(name, parent, target, now);
    try {
      return await current.run(subsegment.position, () => fn(subsegment));
    } catch (error) {
      subsegment.addError(error);
      throw error;
    } finally {
      subsegment.close();
    }
  }

  return {
    isTracingEnabled: () => sink !== undefined,

    captureAWSv3Client(client) {
      if (sink) traceAwsCalls(client, { positionNow, sink, now });
    },

    captureAsyncFunc(name, fn) {
      const parent = sink ? positionNow() : undefined;
      if (!sink || !parent?.sampled) return fn(undefined);
      return inSubsegment(name, parent, sink, fn);
    },

    traceHandler(handler) {
      const handlerName = `## ${env._HANDLER ?? 'handler'}`;
      return async (...args) => {
        const cold = coldStart;
        coldStart = false;
        const invocation = sink ? invocationPosition() : undefined;
        if (!sink || !invocation?.sampled) return handler(...args);
        return inSubsegment(handlerName, invocation, sink, async (subsegment) => {
          subsegment.addAnnotation('ColdStart', cold);
          subsegment.addAnnotation('Service', options.serviceName);
          const answer = await handler(...args);
          recordAnswerStatus(subsegment, answer);
          return answer;
        });
      };
    },
  };
}
