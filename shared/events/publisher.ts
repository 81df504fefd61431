/**
 * Publishes Keyless events: validated against the catalogue, sent with PutEvents in batches of
 * at most 10 entries, and the entries a partial failure names (FailedEntryCount) retried with
 * backoff. Whatever still fails is returned, never dropped silently.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { backoffDelay, sleep as defaultSleep } from '../backoff.ts';
import { detailSchemas, EVENT_SOURCE, type KeylessEvent } from './catalog.ts';

export const PUT_EVENTS_BATCH_SIZE = 10;

export interface PublishResult {
  published: number;
  failed: { event: KeylessEvent; errorCode: string; errorMessage?: string }[];
}

export interface EventPublisher {
  publish(events: readonly KeylessEvent[]): Promise<PublishResult>;
}

export interface EventPublisherOptions {
  client: EventBridgeClient;
  busName: string;
  maxAttempts?: number;
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function createEventPublisher({
  client,
  busName,
  maxAttempts = 4,
  baseDelayMs = 100,
  sleep = defaultSleep,
}: EventPublisherOptions): EventPublisher {
  function toEntry(event: KeylessEvent): PutEventsRequestEntry {
    const detail = detailSchemas[event.detailType].parse(event.detail);
    return {
      EventBusName: busName,
      Source: EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(detail),
    };
  }

  async function publishBatch(batch: KeylessEvent[]): Promise<PublishResult['failed']> {
    let pending = batch.map((event) => ({ event, entry: toEntry(event) }));
    let failed: PublishResult['failed'] = [];
    for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(backoffDelay(baseDelayMs, attempt - 1));
      try {
        const result = await client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }));
        // Entries come back in request order; only those with an ErrorCode failed.
        const retry: typeof pending = [];
        failed = [];
        (result.Entries ?? []).forEach((entry, index) => {
          const item = pending[index];
          if (item && entry.ErrorCode) {
            retry.push(item);
            failed.push({ event: item.event, errorCode: entry.ErrorCode, errorMessage: entry.ErrorMessage });
          }
        });
        pending = retry;
      } catch (error) {
        const code = error instanceof Error ? error.name : 'PutEventsError';
        failed = pending.map(({ event }) => ({ event, errorCode: code, errorMessage: String(error) }));
      }
    }
    return pending.length === 0 ? [] : failed;
  }

  return {
    async publish(events) {
      const failed: PublishResult['failed'] = [];
      for (let i = 0; i < events.length; i += PUT_EVENTS_BATCH_SIZE) {
        failed.push(...(await publishBatch(events.slice(i, i + PUT_EVENTS_BATCH_SIZE))));
      }
      return { published: events.length - failed.length, failed };
    },
  };
}
