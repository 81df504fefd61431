import { afterEach, describe, expect, it, vi } from 'vitest';
import { DIMENSIONS, METRIC_NAMES } from '#shared/metrics.ts';
import { createTracer, observeAssumeRole } from '#shared/tracing.ts';

const CREDENTIALS = {
  AccessKeyId: 'ASIAEXAMPLE',
  SecretAccessKey: 'CANARY-secret-never-traced',
  SessionToken: 'tok',
};
const CALL = { customerId: 'acme-corp', accountId: '111122223333' };

/** A tracer whose subsegments record what they are given. */
function recordingTracer() {
  const recorded: {
    name: string;
    annotations: Record<string, unknown>;
    closed: boolean;
    other: unknown[];
  }[] = [];
  const tracer = {
    isTracingEnabled: () => true,
    provider: {
      captureAsyncFunc: (name: string, fn: (subsegment: unknown) => unknown) => {
        const entry = {
          name,
          annotations: {} as Record<string, unknown>,
          closed: false,
          other: [] as unknown[],
        };
        recorded.push(entry);
        return fn({
          addAnnotation: (key: string, value: unknown) => {
            entry.annotations[key] = value;
          },
          addMetadata: (...args: unknown[]) => entry.other.push(args),
          close: () => {
            entry.closed = true;
          },
        });
      },
    },
  };
  return { tracer: tracer as unknown as Parameters<typeof observeAssumeRole>[0]['tracer'], recorded };
}

function recordingMetrics() {
  const counted: { name: string; dimension?: [string, string] }[] = [];
  const metrics = {
    addMetric: (name: string) => {
      counted.push({ name });
    },
    singleMetric: () => {
      let dimension: [string, string] | undefined;
      return {
        addDimension: (key: string, value: string) => {
          dimension = [key, value];
        },
        addMetric: (name: string) => {
          counted.push({ name, ...(dimension ? { dimension } : {}) });
        },
      };
    },
  };
  // Powertools' addMetric returns the Metrics for chaining; these record instead.
  return { counted, metrics: metrics as unknown as Parameters<typeof observeAssumeRole>[0]['metrics'] };
}

afterEach(() => vi.restoreAllMocks());

describe('observeAssumeRole', () => {
  it('runs AssumeRole in its own subsegment, annotated with customer and account only', async () => {
    const { tracer, recorded } = recordingTracer();
    const result = await observeAssumeRole({ tracer })(CALL, async () => CREDENTIALS);
    expect(result).toBe(CREDENTIALS);
    expect(recorded).toEqual([
      {
        name: '### AssumeRole',
        annotations: { customerId: 'acme-corp', accountId: '111122223333' },
        closed: true,
        other: [],
      },
    ]);
    expect(JSON.stringify(recorded)).not.toContain('CANARY');
  });

  it('annotates a failure with its STS error code, counts it by code, and rethrows it', async () => {
    const { tracer, recorded } = recordingTracer();
    const { metrics, counted } = recordingMetrics();
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied' });
    await expect(
      observeAssumeRole({ tracer, metrics })(CALL, async () => {
        throw denied;
      }),
    ).rejects.toBe(denied);
    expect(recorded[0]).toMatchObject({ annotations: { stsErrorCode: 'AccessDenied' }, closed: true });
    expect(counted).toEqual([
      { name: METRIC_NAMES.assumeRoleFailed, dimension: [DIMENSIONS.stsErrorCode, 'AccessDenied'] },
    ]);
  });

  it('with tracing off (locally, in tests) calls straight through, without a warning', async () => {
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const tracer = createTracer('keyless-test', { enabled: false });
    const { metrics, counted } = recordingMetrics();
    expect(await observeAssumeRole({ tracer, metrics })(CALL, async () => CREDENTIALS)).toBe(CREDENTIALS);
    await expect(
      observeAssumeRole({ tracer, metrics })(CALL, async () => {
        throw Object.assign(new Error('slow down'), { name: 'Throttling' });
      }),
    ).rejects.toThrow('slow down');
    expect(counted).toEqual([
      { name: METRIC_NAMES.assumeRoleFailed, dimension: [DIMENSIONS.stsErrorCode, 'Throttling'] },
    ]);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });
});
