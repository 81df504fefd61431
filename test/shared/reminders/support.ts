/** Shared arrangement for the reminder tests: a fresh table, the real stores and publisher. */
import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { createReminderStore } from '#shared/reminders/reminder-store.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { buildLegacyConnection } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';

export const DAY = 86_400_000;
/** Every EventBridge client in the importing test file is this mock. */
export const eventBridge = mockClient(EventBridgeClient);
export const audit = { actor: 'test', reason: 'test setup' };

export async function reminderFixture() {
  const table = await createTestTable('keyless-reminders');
  const store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
  const reminders = createReminderStore({ client: table.documentClient, tableName: table.tableName });
  const publisher = createEventPublisher({
    client: new EventBridgeClient({}),
    busName: 'keyless',
    sleep: async () => {},
  });
  const logger = new Logger({ serviceName: 'reminder-test', logLevel: 'SILENT' });

  /** Legacy connections created `daysAgo` before `now`, in the sparse index. */
  async function legacy(count: number, daysAgo: number, now: Date) {
    const created = [];
    for (let i = 0; i < count; i += 10) {
      created.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, count - i) }, (_, j) =>
            store.createLegacyConnection(
              buildLegacyConnection({
                customerId: `legacy-${i + j}-${Math.random().toString(36).slice(2, 8)}`,
                createdAt: new Date(now.getTime() - daysAgo * DAY - (i + j) * 1000).toISOString(),
              }),
              audit,
            ),
          ),
        )),
      );
    }
    return created;
  }

  return {
    table,
    store,
    reminders,
    publisher,
    logger,
    legacy,
    deps: { legacyConnections: store, reminders, publisher, logger },
  };
}

/** PutEvents answers every entry successfully. */
export function acceptAllEvents() {
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, i) => ({ EventId: `event-${i}` })),
  }));
}

/** The details of every event sent, across all PutEvents calls. */
export function sentDetails() {
  return eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>);
}
