/**
 * The middleware that traces each call of an AWS SDK v3 client (docs/architecture.md §11): a
 * subsegment named after the service, in X-Ray's `aws` namespace (operation, region, request id,
 * retries, `table_name`), the HTTP status with its error or fault, `throttle` beside them for a
 * throttling error, and the exception; and the trace header carried on to the service, naming that
 * subsegment. As X-Ray's SDK does (aws3_p), it runs in the `build` step, ahead of the SDK's
 * recursion-detection middleware, which leaves a header already set alone.
 */
import { isThrottlingError } from '@smithy/core/retry';
import type { AbsoluteLocation, BuildHandlerOptions, BuildMiddleware, Provider } from '@smithy/types';
import type { SegmentSink } from './daemon.ts';
import { type OpenSubsegment, openSubsegment } from './subsegment.ts';
import { formatTraceHeader, type TracePosition } from './trace-header.ts';

/** An SDK v3 client as far as tracing it goes: its middleware and its region. */
export interface TraceableClient {
  middlewareStack: {
    add(middleware: BuildMiddleware<object, object>, options: BuildHandlerOptions & AbsoluteLocation): void;
    remove(toRemove: string): boolean;
  };
  config: { region?: string | Provider<string> | undefined };
}

/** The middleware's name in each client's stack. */
export const XRAY_MIDDLEWARE_NAME = 'KeylessXRayTracing';

/** What an SDK v3 response or service error carries about its HTTP exchange. */
interface CallMetadata {
  httpStatusCode?: number;
  requestId?: string;
  extendedRequestId?: string;
  attempts?: number;
}

/** Writes what a finished call says into its subsegment; never throws. */
async function record(
  subsegment: OpenSubsegment,
  call: { operation: string; region: TraceableClient['config']['region']; input: unknown },
  metadata: CallMetadata | undefined,
  contentLength?: string,
): Promise<void> {
  try {
    const { region } = call;
    const regionName = await Promise.resolve()
      .then(() => (typeof region === 'function' ? region() : region))
      .catch(() => undefined);
    const tableName = (call.input as { TableName?: unknown } | undefined)?.TableName;
    subsegment.document.aws = {
      operation: call.operation,
      ...(typeof regionName === 'string' ? { region: regionName } : {}),
      ...(typeof metadata?.requestId === 'string' ? { request_id: metadata.requestId } : {}),
      ...(typeof metadata?.extendedRequestId === 'string' ? { id_2: metadata.extendedRequestId } : {}),
      retries: Math.max(0, (Number(metadata?.attempts) || 1) - 1),
      ...(typeof tableName === 'string' ? { table_name: tableName } : {}),
    };
    if (typeof metadata?.httpStatusCode === 'number')
      subsegment.recordResponse(
        metadata.httpStatusCode,
        contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : undefined,
      );
  } catch {
    // The call's own outcome stands whatever its trace.
  }
}

/** Adds the tracing middleware to `client`'s stack, replacing any earlier one (one per stack). */
export function traceAwsCalls(
  client: TraceableClient,
  {
    positionNow,
    sink,
    now,
  }: { positionNow: () => TracePosition | undefined; sink: SegmentSink; now: () => number },
): void {
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
      const subsegment = openSubsegment(service, parent, sink, now);
      subsegment.document.namespace = 'aws';
      if (headers) headers['X-Amzn-Trace-Id'] = formatTraceHeader(subsegment.position);
      const call = {
        operation: String(context.commandName ?? 'Unknown').replace(/Command$/, ''),
        region,
        input: args.input,
      };
      try {
        const result = await next(args);
        const output = result.output as { $metadata?: CallMetadata } | undefined;
        const response = result.response as { headers?: Record<string, string> } | undefined;
        await record(subsegment, call, output?.$metadata, response?.headers?.['content-length']);
        return result;
      } catch (error) {
        const metadata = (error as { $metadata?: CallMetadata } | null | undefined)?.$metadata;
        await record(subsegment, call, metadata);
        // The throttle flag beside the status's own error or fault, as X-Ray's SDK sets them.
        if (error && typeof error === 'object' && isThrottlingError(error as never))
          subsegment.document.throttle = true;
        // Remote: an answer of the service; a timeout or a refused connection is this side's.
        subsegment.addError(error, { remote: typeof metadata?.httpStatusCode === 'number' });
        throw error;
      } finally {
        subsegment.close();
      }
    },
    { step: 'build', name: XRAY_MIDDLEWARE_NAME },
  );
}
