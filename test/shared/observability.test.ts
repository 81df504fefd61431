import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { describe, expect, it, vi } from 'vitest';
import { correlationIdFrom, createLogger, createMetrics } from '#shared/observability.ts';
import { createContext } from '../support/lambda-context.ts';

describe('correlationIdFrom', () => {
  /** The correlation id a handler sees, with the middleware chain every factory uses. */
  function correlatedHandler(...paths: Parameters<typeof correlationIdFrom>[1][]) {
    const logger = createLogger('observability-test');
    const seen: unknown[] = [];
    const handler = middy()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(correlationIdFrom(logger, ...paths))
      .handler(async () => {
        seen.push(logger.getCorrelationId());
      });
    return { handler, seen };
  }

  it('takes the first non-empty string among its paths, as the callback reads SNS and direct deliveries', async () => {
    const { handler, seen } = correlatedHandler(['Records', 0, 'Sns', 'MessageId'], ['RequestId']);
    await handler({ Records: [{ Sns: { MessageId: 'sns-message-1' } }] }, createContext());
    await handler({ RequestId: 'cfn-request-1' }, createContext());
    await handler({ Records: [{ Sns: { MessageId: '' } }], RequestId: 'cfn-request-2' }, createContext());
    expect(seen).toEqual(['sns-message-1', 'cfn-request-1', 'cfn-request-2']);
  });

  it('sets none for an event without one, and carries none over from the invocation before', async () => {
    const { handler, seen } = correlatedHandler(['id'], ['detail', 'correlationId']);
    await handler({ id: 'event-1' }, createContext());
    for (const event of [{}, null, 'text', { id: 42 }, { detail: 'x' }, { id: ['event-1'] }])
      await handler(event, createContext());
    await handler({ detail: { correlationId: 'request-7' } }, createContext());
    expect(seen).toEqual([
      'event-1',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      'request-7',
    ]);
  });
});

describe('createMetrics', () => {
  it('logs the routine "no metrics" notice at DEBUG, so it is not a warning on every invocation', () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_DEV', 'false');
    const written: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    const metrics = createMetrics('observability-test');
    // Act
    metrics.publishStoredMetrics();
    // Assess
    const notice = written
      .map((line) => JSON.parse(line))
      .find((l) => String(l.message).startsWith('No application metrics'));
    expect(notice).toMatchObject({ level: 'DEBUG' });
  });
});
