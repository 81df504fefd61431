import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/observability.ts';
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
