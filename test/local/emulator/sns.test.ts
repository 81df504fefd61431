import { describe, expect, it } from 'vitest';
import type { InvocationResult } from '#local/emulator/functions.ts';
import { createLocalSns } from '#local/emulator/sns.ts';
import { ASYNC_INVOCATION_RETRY_POLICY } from '#shared/events/delivery-policy.ts';

const TOPIC = 'arn:aws:sns:us-east-1:999988887777:keyless-local-registrations';
const failure: InvocationResult = {
  ok: false,
  error: { errorType: 'Error', errorMessage: 'boom', trace: [] },
};

function topicWith(outcomes: InvocationResult[]) {
  const attempts: number[] = [];
  const sns = createLocalSns({
    topics: [{ arn: TOPIC, subscriber: 'registration-callback' }],
    endpoint: () => 'http://127.0.0.1:4577',
    retryDelayMs: 0,
    invoke: async () => outcomes.shift() ?? { ok: true, payload: null },
    onDelivery: ({ attempt }) => attempts.push(attempt),
  });
  return { sns, attempts };
}

describe('createLocalSns', () => {
  it('retries a failing subscriber as Lambda retries an asynchronous invocation, no more', async () => {
    // Prepare
    const { sns, attempts } = topicWith(Array.from({ length: 10 }, () => failure));
    // Act
    sns.publish({ TopicArn: TOPIC, Message: '{}' });
    await sns.idle();
    // Assess
    expect(attempts).toHaveLength(1 + ASYNC_INVOCATION_RETRY_POLICY.retryAttempts);
  });

  it('stops retrying once the subscriber succeeds', async () => {
    const { sns, attempts } = topicWith([failure]);
    sns.publish({ TopicArn: TOPIC, Message: '{}' });
    await sns.idle();
    expect(attempts).toEqual([1, 2]);
  });
});
