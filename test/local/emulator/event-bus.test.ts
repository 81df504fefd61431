import { describe, expect, it } from 'vitest';
import { createLocalEventBus } from '#local/emulator/event-bus.ts';
import { FunctionNotFoundError, type InvocationResult } from '#local/emulator/functions.ts';
import { DETAIL_TYPES, EVENT_SOURCE } from '#shared/events/catalog.ts';
import { ASYNC_INVOCATION_RETRY_POLICY, RULE_TARGET_RETRY_POLICY } from '#shared/events/delivery-policy.ts';
import { RULES } from '#shared/events/rules.ts';

/** An invocation's outcome: what the function returned or threw, or Lambda refusing the hand-off. */
type Outcome = InvocationResult | Error;

function busWith(outcomes: Outcome[] = []) {
  const calls: { target: string; event: unknown }[] = [];
  const deadLetters: { target: string; error: unknown }[] = [];
  const bus = createLocalEventBus({
    busName: 'keyless-local',
    region: 'us-east-1',
    accountId: '999988887777',
    rules: Object.values(RULES),
    retryDelayMs: 0,
    invoke: async (target, event) => {
      calls.push({ target, event });
      const outcome = outcomes.shift() ?? { ok: true, payload: null };
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    onDeadLetter: ({ target, error }) => deadLetters.push({ target, error }),
  });
  return { bus, calls, deadLetters };
}

const roleRegistered = { Source: EVENT_SOURCE, DetailType: DETAIL_TYPES.roleRegistered, Detail: '{}' };
const throttled = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });

const failure: InvocationResult = {
  ok: false,
  error: { errorType: 'Error', errorMessage: 'boom', trace: [] },
};

describe('createLocalEventBus', () => {
  it('runs a failing function as often as Lambda retries an asynchronous invocation, no more', async () => {
    // Prepare
    const { bus, calls, deadLetters } = busWith(Array.from({ length: 10 }, () => failure));
    // Act
    bus.putEvents([roleRegistered]);
    await bus.idle();
    // Assess: once Lambda has the event, EventBridge's retry policy no longer applies
    expect(calls).toHaveLength(1 + ASYNC_INVOCATION_RETRY_POLICY.retryAttempts);
    expect(new Set(calls.map((call) => call.target))).toEqual(new Set(['role-validator']));
    expect(deadLetters).toEqual([]);
  });

  it('retries a refused hand-off as the rule target retry policy says, then dead-letters the event', async () => {
    // Prepare
    const { bus, calls, deadLetters } = busWith(Array.from({ length: 10 }, () => throttled));
    // Act
    bus.putEvents([roleRegistered]);
    await bus.idle();
    // Assess: the counts the CDK rule targets deploy
    expect(calls).toHaveLength(1 + RULE_TARGET_RETRY_POLICY.retryAttempts);
    expect(deadLetters).toEqual([{ target: 'role-validator', error: throttled }]);
  });

  it('hands a refused event over again, and then lets Lambda retry the function', async () => {
    const { bus, calls } = busWith([throttled, failure, failure, failure, failure]);
    bus.putEvents([roleRegistered]);
    await bus.idle();
    expect(calls).toHaveLength(1 + 1 + ASYNC_INVOCATION_RETRY_POLICY.retryAttempts);
  });

  it('never retries a target that does not exist, as EventBridge does not', async () => {
    const missing = new FunctionNotFoundError('role-validator');
    const { bus, calls, deadLetters } = busWith([missing, missing]);
    bus.putEvents([roleRegistered]);
    await bus.idle();
    expect(calls).toHaveLength(1);
    expect(deadLetters).toEqual([{ target: 'role-validator', error: missing }]);
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
