import { describe, expect, it } from 'vitest';
import { createLocalEventBus } from '#local/emulator/event-bus.ts';
import type { InvocationResult } from '#local/emulator/functions.ts';
import { DETAIL_TYPES, EVENT_SOURCE } from '#shared/events/catalog.ts';
import { RULES } from '#shared/events/rules.ts';

function busWith(outcomes: InvocationResult[] = []) {
  const calls: { target: string; event: unknown }[] = [];
  const bus = createLocalEventBus({
    busName: 'keyless-local',
    region: 'us-east-1',
    accountId: '999988887777',
    rules: Object.values(RULES),
    retryDelayMs: 0,
    invoke: async (target, event) => {
      calls.push({ target, event });
      return outcomes.shift() ?? { ok: true, payload: null };
    },
  });
  return { bus, calls };
}

const failure: InvocationResult = {
  ok: false,
  error: { errorType: 'Error', errorMessage: 'boom', trace: [] },
};

describe('createLocalEventBus', () => {
  it('retries a failing target twice, as Lambda does for an asynchronous invocation', async () => {
    // Prepare
    const { bus, calls } = busWith([failure, failure, failure, failure]);
    // Act
    bus.putEvents([{ Source: EVENT_SOURCE, DetailType: DETAIL_TYPES.roleRegistered, Detail: '{}' }]);
    await bus.idle();
    // Assess
    expect(calls.map((call) => call.target)).toEqual(['role-validator', 'role-validator', 'role-validator']);
  });

  it('stops retrying once the target succeeds', async () => {
    const { bus, calls } = busWith([failure]);
    bus.putEvents([{ Source: EVENT_SOURCE, DetailType: DETAIL_TYPES.integrationStackDeleted, Detail: '{}' }]);
    await bus.idle();
    expect(calls.map((call) => call.target)).toEqual(['revocation', 'revocation']);
  });

  it("sends a scheduled rule's constant input when it has one, the Scheduled Event otherwise", async () => {
    // Prepare
    const { bus, calls } = busWith();
    // Act
    bus.fireSchedule(RULES.revalidationSchedule.id);
    bus.fireSchedule(RULES.migrationReminderSchedule.id);
    await bus.idle();
    // Assess
    expect(calls).toEqual([
      { target: 'role-validator', event: { mode: 'revalidate' } },
      {
        target: 'migration-reminder',
        event: expect.objectContaining({
          source: 'aws.events',
          'detail-type': 'Scheduled Event',
          account: '999988887777',
          resources: ['arn:aws:events:us-east-1:999988887777:rule/keyless-migration-reminder-daily'],
        }),
      },
    ]);
  });

  it('counts accepted events by detail-type and stamps the envelope with the bus account and time', async () => {
    const { bus, calls } = busWith();
    bus.putEvents([
      {
        Source: EVENT_SOURCE,
        DetailType: DETAIL_TYPES.roleRegistered,
        Detail: '{"a":1}',
        Time: 1_800_000_000,
      },
    ]);
    await bus.idle();
    expect(bus.acceptedEvents()).toEqual({ [DETAIL_TYPES.roleRegistered]: 1 });
    expect(calls[0]?.event).toMatchObject({
      time: '2027-01-15T08:00:00Z',
      account: '999988887777',
      detail: { a: 1 },
    });
  });
});
