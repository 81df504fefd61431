/**
 * X-Ray tracing (docs/architecture.md §11): one tracer per function, built with the platform; every
 * AWS SDK client of the platform is captured by it, every handler runs in its `## <handler>`
 * subsegment, and the broker's AssumeRole becomes a subsegment of its own. Off outside Lambda (there
 * is no X-Ray daemon address there) and wherever it is built disabled, as the local runtime and the
 * tests build it.
 */
import { countWithDimension, DIMENSIONS, METRIC_NAMES } from './metrics.ts';
import type { MetricSink } from './onboarding/dependencies.ts';
import { createXRayTracer, type Tracer } from './xray/tracer.ts';

export type { Tracer } from './xray/tracer.ts';

export function createTracer(
  serviceName: string,
  options: { enabled?: boolean; env?: Record<string, string | undefined> } = {},
): Tracer {
  const env = options.env ?? process.env;
  return createXRayTracer({
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    env,
    ...(options.enabled === false ? { enabled: false } : {}),
  });
}

/** Which connection an AssumeRole is for: all a trace or a metric is ever told of it. */
export interface AssumeRoleCall {
  customerId: string;
  accountId: string;
}

/** The STS error code of an SDK exception (`AccessDenied`, `Throttling`, …). */
export function stsErrorCodeOf(error: unknown): string {
  if (error && typeof error === 'object') {
    const { Code, name } = error as { Code?: unknown; name?: unknown };
    if (typeof Code === 'string' && Code) return Code;
    if (typeof name === 'string' && name && name !== 'Error') return name;
  }
  return 'Unknown';
}

/**
 * The broker's `observeAssumeRole` hook: each AssumeRole runs in a `### AssumeRole` subsegment
 * annotated with the customer and account ids (and, when it fails, the STS error code), and a
 * failure is counted by code. The result — the credentials — is never annotated nor recorded.
 */
export function observeAssumeRole({ tracer, metrics }: { tracer: Tracer; metrics?: MetricSink }) {
  const countFailure = (error: unknown) => {
    if (metrics)
      countWithDimension(
        metrics,
        METRIC_NAMES.assumeRoleFailed,
        DIMENSIONS.stsErrorCode,
        stsErrorCodeOf(error),
      );
  };
  return async function observedAssumeRole<T>(call: AssumeRoleCall, assume: () => Promise<T>): Promise<T> {
    return tracer.captureAsyncFunc('### AssumeRole', async (subsegment) => {
      subsegment?.addAnnotation('customerId', call.customerId);
      subsegment?.addAnnotation('accountId', call.accountId);
      try {
        return await assume();
      } catch (error) {
        subsegment?.addAnnotation('stsErrorCode', stsErrorCodeOf(error));
        countFailure(error);
        throw error;
      }
    });
  };
}
