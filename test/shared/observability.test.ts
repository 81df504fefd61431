import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, createMetrics } from '#shared/observability.ts';
import { createContext } from '../support/lambda-context.ts';

describe('createLogger', () => {
  it("takes the correlation id from the event with the handler's JMESPath expression", async () => {
    // Prepare
    const logger = createLogger('observability-test');
    let seen: unknown;
    const handler = middy()
      .use(
        injectLambdaContext(logger, {
          correlationIdPath: 'Records[0].Sns.MessageId || RequestId',
          resetKeys: true,
        }),
      )
      .handler(async () => {
        seen = logger.getCorrelationId();
      });
    // Act
    await handler({ Records: [{ Sns: { MessageId: 'sns-message-1' } }] }, createContext());
    const fromSns = seen;
    await handler({ RequestId: 'cfn-request-1' }, createContext());
    // Assess
    expect(fromSns).toBe('sns-message-1');
    expect(seen).toBe('cfn-request-1');
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
