import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createMigrationReminderHandler,
  scheduledEventSchema,
} from '#functions/migration-reminder/factory.ts';
import { ValidationError } from '#shared/errors.ts';
import { RULES } from '#shared/events/rules.ts';
import {
  acceptAllEvents,
  DAY,
  eventBridge,
  reminderFixture,
  sentDetails,
} from '../../shared/reminders/support.ts';
import { createContext } from '../../support/lambda-context.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';

let fixture: Awaited<ReturnType<typeof reminderFixture>>;
let handler: ReturnType<typeof createMigrationReminderHandler>;

/** The sample in events/, parsed with the handler's own schema: a drifting sample fails here. */
const sample = () =>
  scheduledEventSchema.parse(
    JSON.parse(readFileSync('events/scheduled/migration-reminder-daily.json', 'utf8')),
  );

beforeAll(async () => {
  fixture = await reminderFixture();
  handler = createMigrationReminderHandler(
    testPlatform({ table: fixture.table }),
    testConfig('migration-reminder', fixture.table.tableName, { LEGACY_GRACE_DAYS: '30' }),
  );
});
afterAll(() => fixture.table.drop());
beforeEach(() => {
  eventBridge.reset();
  acceptAllEvents();
});

describe('migration-reminder handler', () => {
  it('is the target of the daily schedule rule', () => {
    expect(RULES.migrationReminderSchedule).toMatchObject({
      target: 'migration-reminder',
      schedule: expect.any(String),
    });
  });

  it('reminds connections past LEGACY_GRACE_DAYS and names the run after the scheduled event', async () => {
    // Prepare: one connection 45 days on keys (past the 30-day grace set above), one 10 days.
    const [due] = await fixture.legacy(1, 45, new Date());
    await fixture.legacy(1, 10, new Date());
    // Act
    const summary = await handler(sample(), createContext({ remainingMs: 280_000 }));
    // Assess
    expect(summary).toMatchObject({ runId: sample().id, scanned: 1, reminded: 1, complete: true });
    expect(sentDetails()).toEqual([
      expect.objectContaining({
        customerId: due!.customerId,
        correlationId: sample().id,
        daysOnAccessKeys: 45,
      }),
    ]);
  });

  it('reads nothing when the deadline is already near, and leaves the work to the next invocation', async () => {
    await fixture.legacy(2, 60, new Date(Date.now() - DAY));
    const paused = await handler(sample(), createContext({ remainingMs: 1_000 }));
    expect(paused).toMatchObject({ complete: false, scanned: 0 });
    const resumed = await handler({ ...sample(), id: 'next-day' }, createContext({ remainingMs: 280_000 }));
    expect(resumed).toMatchObject({ complete: true, reminded: 2 });
    expect(new Set(sentDetails().map((d) => d.correlationId))).toEqual(new Set(['next-day']));
  });

  it('refuses an event that is not a scheduled event', async () => {
    await expect(handler({ hello: 'world' }, createContext())).rejects.toBeInstanceOf(ValidationError);
  });
});
