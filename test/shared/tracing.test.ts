import { afterEach, describe, expect, it, vi } from 'vitest';
import { DIMENSIONS, METRIC_NAMES } from '#shared/metrics.ts';
import { createTracer, observeAssumeRole } from '#shared/tracing.ts';
import { recordingTracer as recordingXRayTracer } from '../support/xray.ts';

const CREDENTIALS = {
  AccessKeyId: 'ASIAEXAMPLE',
  SecretAccessKey: 'CANARY-secret-never-traced',
  SessionToken: 'tok',
};
const CALL = { customerId: 'acme-corp', accountId: '111122223333' };

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
    const { tracer, documents: recorded } = recordingXRayTracer('example-worker');
    const result = await observeAssumeRole({ tracer })(CALL, async () => CREDENTIALS);
    expect(result).toBe(CREDENTIALS);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      name: '### AssumeRole',
      parent_id: '53995c3f42cd8ad8',
      annotations: { customerId: 'acme-corp', accountId: '111122223333' },
    });
    expect(Object.keys(recorded[0]?.annotations as object)).toEqual(['customerId', 'accountId']);
    expect(JSON.stringify(recorded)).not.toMatch(/CANARY|ASIAEXAMPLE|tok/);
  });

  it('annotates a failure with its STS error code, counts it by code, and rethrows it', async () => {
    const { tracer, documents: recorded } = recordingXRayTracer('example-worker');
    const { metrics, counted } = recordingMetrics();
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied' });
    await expect(
      observeAssumeRole({ tracer, metrics })(CALL, async () => {
        throw denied;
      }),
    ).rejects.toBe(denied);
    expect(recorded[0]).toMatchObject({
      annotations: { stsErrorCode: 'AccessDenied' },
      fault: true,
      cause: { exceptions: [{ type: 'AccessDenied', message: 'not authorized' }] },
    });
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
