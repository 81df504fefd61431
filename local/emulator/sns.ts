/**
 * The local registrations topic: SNS Publish delivered to the subscribed function as the SNS
 * event record Lambda receives. SNS invokes Lambda asynchronously, so a function error is retried
 * by Lambda (ASYNC_INVOCATION_RETRY_POLICY); SNS's own retries, for a Lambda it cannot reach, have
 * nothing to do locally, where the function runs in this process.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
 */
import { randomUUID } from 'node:crypto';
import type { SNSEvent } from 'aws-lambda';
import { invokeAsynchronously } from './async-invocation.ts';
import type { InvocationResult } from './functions.ts';

export interface LocalTopic {
  arn: string;
  /** The function folder subscribed to the topic. */
  subscriber: string;
}

export interface PublishInput {
  TopicArn?: string | undefined;
  Message?: string | undefined;
  Subject?: string | undefined;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export class TopicNotFoundError extends Error {
  readonly code = 'NotFound';
  constructor() {
    super('Topic does not exist');
    this.name = 'TopicNotFoundError';
  }
}

export class InvalidParameterError extends Error {
  readonly code = 'InvalidParameter';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidParameterError';
  }
}

export type LocalSns = ReturnType<typeof createLocalSns>;

export function createLocalSns({
  topics,
  endpoint,
  invoke,
  onDelivery,
  retryDelayMs = 1000,
}: {
  topics: readonly LocalTopic[];
  endpoint: () => string;
  invoke: (target: string, event: unknown) => Promise<InvocationResult>;
  onDelivery?: (delivery: {
    topicArn: string;
    target: string;
    attempt: number;
    result: InvocationResult;
  }) => void;
  retryDelayMs?: number;
}) {
  const inFlight = new Set<Promise<void>>();

  function snsEvent(topicArn: string, messageId: string, input: PublishInput): SNSEvent {
    const subscriptionArn = `${topicArn}:${randomUUID()}`;
    return {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: subscriptionArn,
          Sns: {
            Type: 'Notification',
            MessageId: messageId,
            TopicArn: topicArn,
            ...(input.Subject === undefined ? {} : { Subject: input.Subject }),
            Message: input.Message ?? '',
            Timestamp: new Date().toISOString(),
            SignatureVersion: '1',
            Signature: 'LOCAL',
            SigningCertUrl: `${endpoint()}/_local/sns/certificate.pem`,
            UnsubscribeUrl: `${endpoint()}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscriptionArn)}`,
            MessageAttributes: Object.fromEntries(
              Object.entries(input.MessageAttributes ?? {}).map(([name, { Type, Value }]) => [
                name,
                { Type, Value },
              ]),
            ),
          },
        },
      ],
    } as SNSEvent;
  }

  /** Publish: answers with a MessageId at once and delivers in the background. */
  function publish(input: PublishInput): { MessageId: string } {
    const topic = topics.find((candidate) => candidate.arn === input.TopicArn);
    if (!topic) throw new TopicNotFoundError();
    if (!input.Message) throw new InvalidParameterError('Invalid parameter: Empty message');
    if (Buffer.byteLength(input.Message) > 256 * 1024) {
      throw new InvalidParameterError('Invalid parameter: Message too long');
    }
    const messageId = randomUUID();
    const event = snsEvent(topic.arn, messageId, input);
    const work = (async () => {
      await invokeAsynchronously(() => invoke(topic.subscriber, event), {
        retryDelayMs,
        onAttempt: (attempt, result) =>
          onDelivery?.({ topicArn: topic.arn, target: topic.subscriber, attempt, result }),
      });
    })();
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    return { MessageId: messageId };
  }

  async function idle(): Promise<void> {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }

  return { topics, publish, idle };
}
