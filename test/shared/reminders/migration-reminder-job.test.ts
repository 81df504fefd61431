import { Metrics } from '@aws-lambda-powertools/metrics';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reminderIdFor, runMigrationReminders } from '#shared/reminders/migration-reminder-job.ts';
import { acceptAllEvents, audit, DAY, eventBridge, reminderFixture, sentDetails } from './support.ts';

const NOW = new Date('2026-11-24T03:00:00Z');
const plenty = () => 600_000;
const options = { graceDays: 90, intervalDays: 7, remainingTimeMs: plenty, now: NOW };

let fixture: Awaited<ReturnType<typeof reminderFixture>>;

beforeEach(async () => {
  eventBridge.reset();
  acceptAllEvents();
  fixture = await reminderFixture();
});
afterEach(() => fixture.table.drop());

describe('runMigrationReminders', () => {
  it('reminds legacy connections past the grace period, and only those', async () => {
    // Prepare
    const [old] = await fixture.legacy(1, 120, NOW);
    await fixture.legacy(1, 60, NOW);
    // Act
    const summary = await runMigrationReminders(fixture.deps, { ...options, runId: 'run-1' });
    // Assess
    expect(summary).toMatchObject({ scanned: 1, flagged: 1, reminded: 1, failed: 0, complete: true });
    expect(sentDetails()).toEqual([
      {
        customerId: old!.customerId,
        accountId: old!.accountId,
        version: 1,
        correlationId: 'run-1',
        createdAt: old!.createdAt,
        daysOnAccessKeys: 120,
        reminderId: reminderIdFor('run-1', old!.customerId, old!.accountId),
      },
    ]);
    const stored = await fixture.store.getConnection(old!.customerId, old!.accountId);
    expect(stored).toMatchObject({ lastRemindedAt: NOW.toISOString(), version: 1 });
  });

  it('respects the reminder interval across runs', async () => {
    await fixture.legacy(3, 100, NOW);
    const first = await runMigrationReminders(fixture.deps, { ...options, runId: 'day-0' });
    const threeDaysLater = await runMigrationReminders(fixture.deps, {
      ...options,
      runId: 'day-3',
      now: new Date(NOW.getTime() + 3 * DAY),
    });
    const aWeekLater = await runMigrationReminders(fixture.deps, {
      ...options,
      runId: 'day-7',
      now: new Date(NOW.getTime() + 7 * DAY),
    });
    expect([first.reminded, threeDaysLater.reminded, aWeekLater.reminded]).toEqual([3, 0, 3]);
    expect(threeDaysLater).toMatchObject({ scanned: 3, flagged: 0 });
  });

  it('never reminds twice for one run, even when the invocation is retried or runs overlap', async () => {
    await fixture.legacy(12, 100, NOW);
    const [a, b] = await Promise.all([
      runMigrationReminders(fixture.deps, { ...options, runId: 'run-x' }),
      runMigrationReminders(fixture.deps, { ...options, runId: 'run-x' }),
    ]);
    const retry = await runMigrationReminders(fixture.deps, { ...options, runId: 'run-x' });
    expect(a.reminded + b.reminded + retry.reminded).toBe(12);
    const ids = sentDetails().map((d) => d.reminderId);
    expect(new Set(ids).size).toBe(12);
    expect(ids).toHaveLength(12);
  });

  it('stops before the deadline and resumes the same run from its cursor', async () => {
    // Prepare: 25 due connections, pages of 10, and time for two pages only.
    await fixture.legacy(25, 100, NOW);
    let checks = 0;
    const deadlineAfterTwoPages = () => (++checks <= 2 ? 60_000 : 5_000);
    // Act
    const first = await runMigrationReminders(fixture.deps, {
      ...options,
      runId: 'monday',
      pageSize: 10,
      remainingTimeMs: deadlineAfterTwoPages,
    });
    const second = await runMigrationReminders(fixture.deps, { ...options, runId: 'tuesday', pageSize: 10 });
    // Assess
    expect(first).toMatchObject({ complete: false, reminded: 20, resumed: false });
    expect(second).toMatchObject({ complete: true, resumed: true, runId: 'monday', reminded: 25 });
    expect(second.thisInvocation.reminded).toBe(5);
    expect(new Set(sentDetails().map((d) => d.correlationId))).toEqual(new Set(['monday']));
    expect(await fixture.reminders.getRun()).toBeUndefined();
  });

  it('retries entries a partial PutEvents failure names, within the run', async () => {
    await fixture.legacy(3, 100, NOW);
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
          { EventId: 'c' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const summary = await runMigrationReminders(fixture.deps, { ...options, runId: 'run-p' });
    expect(summary).toMatchObject({ reminded: 3, failed: 0 });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });

  it('keeps a connection due when its event still fails, so the next run reminds it', async () => {
    const [connection] = await fixture.legacy(1, 100, NOW);
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const failing = await runMigrationReminders(fixture.deps, { ...options, runId: 'run-f' });
    expect(failing).toMatchObject({ reminded: 0, failed: 1 });
    expect(
      await fixture.store.getConnection(connection!.customerId, connection!.accountId),
    ).not.toHaveProperty('lastRemindedAt');

    acceptAllEvents();
    const next = await runMigrationReminders(fixture.deps, { ...options, runId: 'run-g' });
    expect(next.reminded).toBe(1);
  });

  it('leaves revoked and migrated connections alone', async () => {
    const [revoked, migrated, stillLegacy] = await fixture.legacy(3, 100, NOW);
    await fixture.store.updateConnection({ connection: revoked!, to: 'REVOKED', audit });
    await fixture.store.updateConnection({
      connection: migrated!,
      set: { authMethod: 'ROLE', roleArn: `arn:aws:iam::${migrated!.accountId}:role/KeylessAccess` },
      remove: ['secretRef'],
      leaveLegacyIndex: true,
    });
    const summary = await runMigrationReminders(fixture.deps, { ...options, runId: 'run-m' });
    expect(summary).toMatchObject({ scanned: 2, flagged: 1, reminded: 1 });
    expect(sentDetails().map((d) => d.customerId)).toEqual([stillLegacy!.customerId]);
  });

  it('emits the run summary as metrics', async () => {
    await fixture.legacy(2, 100, NOW);
    const metrics = new Metrics({ namespace: 'KeylessTest', serviceName: 'migration-reminder' });
    const addMetric = vi.spyOn(metrics, 'addMetric');
    await runMigrationReminders({ ...fixture.deps, metrics }, { ...options, runId: 'run-metrics' });
    expect(addMetric).toHaveBeenCalledWith('LegacyConnectionsScanned', 'Count', 2);
    expect(addMetric).toHaveBeenCalledWith('MigrationRemindersSent', 'Count', 2);
    expect(addMetric).toHaveBeenCalledWith('MigrationRemindersFailed', 'Count', 0);
  });
});
