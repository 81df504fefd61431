import { describe, expect, it } from 'vitest';
import { nextScheduleTime, UnsupportedScheduleError } from '#local/emulator/schedule.ts';
import { RULES } from '#shared/events/rules.ts';

const at = (iso: string) => Date.parse(iso);

describe('nextScheduleTime', () => {
  it('fires the daily reminder rule at 03:00 UTC, the next day once past', () => {
    expect(
      new Date(
        nextScheduleTime(RULES.migrationReminderSchedule.schedule, at('2026-11-24T01:10:00Z')),
      ).toISOString(),
    ).toBe('2026-11-24T03:00:00.000Z');
    expect(
      new Date(
        nextScheduleTime(RULES.migrationReminderSchedule.schedule, at('2026-11-24T03:00:00Z')),
      ).toISOString(),
    ).toBe('2026-11-25T03:00:00.000Z');
  });

  it('handles every-hour crons and rates', () => {
    expect(new Date(nextScheduleTime('cron(15 * * * ? *)', at('2026-11-24T01:20:00Z'))).toISOString()).toBe(
      '2026-11-24T02:15:00.000Z',
    );
    expect(nextScheduleTime('rate(5 minutes)', 0)).toBe(300_000);
  });

  it('refuses what it cannot compute rather than guessing', () => {
    expect(() => nextScheduleTime('cron(0 3 ? * MON *)', 0)).toThrow(UnsupportedScheduleError);
  });
});
