/** What the onboarding functions need from the outside world, injected so tests can run them on DynamoDB Local. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { AnswerSender } from '../cloudformation/answer.ts';
import type { ResponseUrlPolicy } from '../cloudformation/response-url.ts';
import type { KeylessEvent } from '../events/catalog.ts';
import type { EventPublisher } from '../events/publisher.ts';
import type { ConnectionStore } from '../store/connection-store.ts';
import { EventPublishError } from './errors.ts';
import type { PendingCaps } from './pending-caps.ts';

export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
export type MetricSink = Pick<Metrics, 'addMetric'>;

export interface OnboardingDependencies {
  store: ConnectionStore;
  publisher: EventPublisher;
  logger: Log;
  metrics: MetricSink;
  now?: () => Date;
  /** How many registrations may await validation at once (invariant 10; default DEFAULT_PENDING_CAPS). */
  caps?: PendingCaps;
}

export interface AnsweringDependencies extends OnboardingDependencies {
  answers: AnswerSender;
  responseUrlPolicy: ResponseUrlPolicy;
}

/** Publishes events that must not be lost; throws EventPublishError naming what still failed. */
export async function publishOrThrow(publisher: EventPublisher, events: KeylessEvent[]): Promise<void> {
  const { failed } = await publisher.publish(events);
  if (failed.length > 0) {
    throw new EventPublishError(
      failed.map((f) => ({ detailType: f.event.detailType, errorCode: f.errorCode })),
    );
  }
}
