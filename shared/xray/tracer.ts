/**
 * X-Ray tracing for a Keyless function (docs/architecture.md §11). Lambda's active tracing opens a
 * segment for every invocation and runs an X-Ray daemon beside the function; this adds the
 * subsegments beneath it: `## <handler>` per invocation (annotated `ColdStart` and `Service`), one per
 * AWS SDK call of a captured client (its service, operation, request id, status and retries, in
 * X-Ray's `aws` namespace), and the named ones a caller opens. Each AWS call carries the trace header
 * on, naming its subsegment, so the service it calls joins the trace. Nothing is recorded for an
 * unsampled invocation, and nothing outside Lambda.
 *
 * Documents follow X-Ray's segment document schema
 * (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html) and are sent as
 * independent subsegments (`type: "subsegment"` with `trace_id` and `parent_id`), which is how X-Ray's
 * SDKs stream subsegments in Lambda. This replaces Powertools' tracer, whose X-Ray SDK for Node.js is in
 * maintenance mode since 2026-02-25 and out of support from 2027-02-25, and which alone was about a
 * sixth of each bundle (§9, *Bundles*).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { isThrottlingError } from '@smithy/core/retry';
import type { AbsoluteLocation, BuildHandlerOptions, BuildMiddleware, Provider } from '@smithy/types';
import { createDaemonSink, type SegmentSink } from './daemon.ts';
import { formatTraceHeader, parseTraceHeader, type TracePosition } from './trace-header.ts';

/** An open subsegment: annotate it, mark it failed, close it (closing twice sends it once). */
export interface Subsegment {
  readonly id: string;
  /** An indexed, searchable field. X-Ray takes keys of letters, digits and `_`; others are dropped. */
  addAnnotation(key: string, value: string | number | boolean): void;
  /** Records `error` as the subsegment's exception and flags it a fault unless already an error. */
  addError(error: unknown, options?: { remote?: boolean }): void;
  close(): void;
}

/** An SDK v3 client as far as tracing it goes: its middleware and its region. */
export interface TraceableClient {
  middlewareStack: {
    add(middleware: BuildMiddleware<object, object>, options: BuildHandlerOptions & AbsoluteLocation): void;
    remove(toRemove: string): boolean;
  };
  config: { region?: string | Provider<string> | undefined };
}

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
  /** `handler`, run in its invocation's `## <handler>` subsegment. */
  traceHandler<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R>;
}

export interface TracerOptions {
  serviceName: string;
  /** False turns tracing off whatever the environment (the local runtime, the tests). */
  enabled?: boolean;
  /** Where documents go; by default the daemon of AWS_XRAY_DAEMON_ADDRESS, and none without it. */
  sink?: SegmentSink | undefined;
  /** The invocation's trace header; by default Lambda's (docs/architecture.md §11). */
  invocationHeader?: () => string | undefined;
  /** Epoch milliseconds. */
  now?: () => number;
  env?: Record<string, string | undefined>;
}

/** The middleware's name in each client's stack. */
export const XRAY_MIDDLEWARE_NAME = 'KeylessXRayTracing';

const ANNOTATION_KEY = /^[A-Za-z0-9_]{1,500}$/;
/** Exception messages are cut here: a document must stay within X-Ray's 64 KB. */
const MAX_MESSAGE = 2048;

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'unprintable';
  }
}

/**
 * Lambda's trace header for the current invocation: from the runtime's per-invocation store when the
 * environment runs several invocations at once (Lambda Managed Instances), else `_X_AMZN_TRACE_ID`,
 * which the Node.js runtime sets for each invocation.
 */
function lambdaTraceHeader(env: Record<string, string | undefined>): string | undefined {
  const store = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } } })
    .awslambda?.InvokeStore;
  return store?.getXRayTraceId() ?? env._X_AMZN_TRACE_ID;
}

interface SubsegmentDocument {
  type: 'subsegment';
  id: string;
  trace_id: string;
  parent_id: string;
  name: string;
  start_time: number;
  end_time?: number;
  namespace?: 'aws' | 'remote';
  annotations?: Record<string, string | number | boolean>;
  aws?: Record<string, string | number>;
  http?: { response: { status?: number; content_length?: number } };
  error?: boolean;
  throttle?: boolean;
  fault?: boolean;
  cause?: { exceptions: { id: string; message: string; type: string; remote?: boolean }[] };
}

/** X-Ray segment names: up to 200 of letters, digits, spaces and `_.:/%&#=+\-@`. */
function segmentName(name: string): string {
  return name.replace(/[^\p{L}\p{N}\s_.:/%&#=+\\\-@]/gu, '').slice(0, 200) || 'unnamed';
}

function newSegmentId(): string {
  return randomBytes(8).toString('hex');
}

export function createTracer(options: TracerOptions): Tracer {
  const env = options.env ?? process.env;
  const sink =
    options.enabled === false
      ? undefined
      : 'sink' in options
        ? options.sink
        : createDaemonSink(env.AWS_XRAY_DAEMON_ADDRESS);
  const now = options.now ?? Date.now;
  const invocationHeader = options.invocationHeader ?? (() => lambdaTraceHeader(env));
  // The position of the innermost open subsegment of this async call chain.
  const current = new AsyncLocalStorage<TracePosition>();
  let coldStart = env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';

  const positionNow = (): TracePosition | undefined =>
    current.getStore() ?? parseTraceHeader(invocationHeader());

  function open(
    name: string,
    parent: TracePosition,
    target: SegmentSink,
  ): Subsegment & { position: TracePosition; document: SubsegmentDocument } {
    const document: SubsegmentDocument = {
      type: 'subsegment',
      id: newSegmentId(),
      trace_id: parent.traceId,
      parent_id: parent.parentId,
      name: segmentName(name),
      start_time: now() / 1000,
    };
    let closed = false;
    return {
      id: document.id,
      document,
      position: { ...parent, parentId: document.id },
      addAnnotation(key, value) {
        if (!ANNOTATION_KEY.test(key) || (typeof value === 'number' && !Number.isFinite(value))) return;
        if (typeof value === 'string') value = value.slice(0, 1000);
        document.annotations = { ...document.annotations, [key]: value };
      },
      addError(error, { remote = false } = {}) {
        const type = error instanceof Error ? safeString(error.name) : 'Error';
        const message = safeString(error instanceof Error ? error.message : error).slice(0, MAX_MESSAGE);
        document.cause = {
          exceptions: [{ id: newSegmentId(), message, type, ...(remote ? { remote } : {}) }],
        };
        if (!document.error && !document.throttle) document.fault = true;
      },
      close() {
        if (closed) return;
        closed = true;
        document.end_time = now() / 1000;
        try {
          target.send(document);
        } catch {
          // A trace is never worth an invocation: a document that cannot be sent is dropped.
        }
      },
    };
  }

  async function inSubsegment<T>(
    name: string,
    parent: TracePosition,
    target: SegmentSink,
    fn: (subsegment: Subsegment) => Promise<T>,
  ): Promise<T> {
    const subsegment = open(name, parent, target);
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
      if (!sink) return;
      const region = client.config.region;
      client.middlewareStack.remove(XRAY_MIDDLEWARE_NAME);
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const parent = positionNow();
          if (!parent) return next(args);
          const headers = (args.request as { headers?: Record<string, string> } | undefined)?.headers;
          if (!parent.sampled) {
            // Unsampled stays unsampled downstream.
            if (headers) headers['X-Amzn-Trace-Id'] = formatTraceHeader(parent);
            return next(args);
          }
          const service = String(context.clientName ?? 'AWSClient').replace(/Client$/, '');
          const subsegment = open(service, parent, sink);
          subsegment.document.namespace = 'aws';
          if (headers) headers['X-Amzn-Trace-Id'] = formatTraceHeader(subsegment.position);
          const input = (args.input ?? {}) as { TableName?: unknown };
          const record = async (metadata: CallMetadata | undefined, contentLength?: string) => {
            const regionName = await Promise.resolve()
              .then(() => (typeof region === 'function' ? region() : region))
              .catch(() => undefined);
            subsegment.document.aws = {
              operation: String(context.commandName ?? 'Unknown').replace(/Command$/, ''),
              ...(typeof regionName === 'string' ? { region: regionName } : {}),
              ...(metadata?.requestId ? { request_id: metadata.requestId } : {}),
              ...(metadata?.extendedRequestId ? { id_2: metadata.extendedRequestId } : {}),
              retries: Math.max(0, (metadata?.attempts ?? 1) - 1),
              ...(typeof input.TableName === 'string' ? { table_name: input.TableName } : {}),
            };
            const status = metadata?.httpStatusCode;
            if (status !== undefined || contentLength !== undefined) {
              subsegment.document.http = {
                response: {
                  ...(status !== undefined ? { status } : {}),
                  ...(contentLength !== undefined && /^\d+$/.test(contentLength)
                    ? { content_length: Number(contentLength) }
                    : {}),
                },
              };
            }
            if (status !== undefined && status >= 400 && status < 500) subsegment.document.error = true;
            if (status !== undefined && status >= 500) subsegment.document.fault = true;
          };
          try {
            const result = await next(args);
            const output = result.output as { $metadata?: CallMetadata } | undefined;
            const response = result.response as { headers?: Record<string, string> } | undefined;
            await record(output?.$metadata, response?.headers?.['content-length']);
            return result;
          } catch (error) {
            const metadata = (error as { $metadata?: CallMetadata } | null | undefined)?.$metadata;
            await record(metadata);
            // The throttle flag beside the status's own error or fault, as X-Ray's SDK sets them.
            if (error && typeof error === 'object' && isThrottlingError(error as never))
              subsegment.document.throttle = true;
            // Remote: an answer of the service; a timeout or a refused connection is this side's.
            subsegment.addError(error, { remote: metadata?.httpStatusCode !== undefined });
            throw error;
          } finally {
            subsegment.close();
          }
        },
        { step: 'build', name: XRAY_MIDDLEWARE_NAME },
      );
    },

    captureAsyncFunc(name, fn) {
      const parent = positionNow();
      if (!sink || !parent?.sampled) return fn(undefined);
      return inSubsegment(name, parent, sink, fn);
    },

    traceHandler(handler) {
      const handlerName = `## ${env._HANDLER ?? 'handler'}`;
      return async (...args) => {
        const cold = coldStart;
        coldStart = false;
        const invocation = parseTraceHeader(invocationHeader());
        if (!sink || !invocation?.sampled) return handler(...args);
        return inSubsegment(handlerName, invocation, sink, (subsegment) => {
          subsegment.addAnnotation('ColdStart', cold);
          subsegment.addAnnotation('Service', options.serviceName);
          return handler(...args);
        });
      };
    },
  };
}

/** What an SDK v3 response or service error carries about its HTTP exchange. */
interface CallMetadata {
  httpStatusCode?: number;
  requestId?: string;
  extendedRequestId?: string;
  attempts?: number;
}
