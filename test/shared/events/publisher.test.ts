import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES, type KeylessEvent } from '#shared/events/catalog.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';

const eventBridge = mockClient(EventBridgeClient);
const noSleep = async () => {};

function revoked(i: number): KeylessEvent {
  return {
    detailType: DETAIL_TYPES.accessRevoked,
    detail: {
      customerId: `c${i}`,
      accountId: '111122223333',
      version: 2,
      correlationId: `r${i}`,
      reason: 'stack deleted',
    },
  };
}

describe('createEventPublisher', () => {
  beforeEach(() => eventBridge.reset());

  it('sends at most 10 entries per PutEvents call', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_: unknown, i: number) => ({ EventId: `id${i}` })),
    }));
    const publisher = createEventPublisher({
      client: new EventBridgeClient({}),
      busName: 'keyless',
      sleep: noSleep,
    });
    const result = await publisher.publish(Array.from({ length: 23 }, (_, i) => revoked(i)));
    expect(result).toEqual({ published: 23, failed: [] });
    const sizes = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 3]);
  });

  it('retries only the entries a partial failure names', async () => {
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
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const publisher = createEventPublisher({
      client: new EventBridgeClient({}),
      busName: 'keyless',
      sleep: noSleep,
    });
    const result = await publisher.publish([revoked(0), revoked(1), revoked(2)]);
    expect(result).toEqual({ published: 3, failed: [] });
    const retried = eventBridge.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries ?? [];
    expect(retried.map((e) => JSON.parse(e.Detail ?? '{}').customerId)).toEqual(['c1']);
  });

  it('returns what still fails after the last attempt instead of dropping it', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const publisher = createEventPublisher({
      client: new EventBridgeClient({}),
      busName: 'keyless',
      maxAttempts: 3,
      sleep: noSleep,
    });
    const result = await publisher.publish([revoked(7)]);
    expect(result.published).toBe(0);
    expect(result.failed).toEqual([
      expect.objectContaining({ errorCode: 'InternalFailure', event: revoked(7) }),
    ]);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 3);
  });

  it('refuses an event whose detail breaks its schema before sending anything', async () => {
    const publisher = createEventPublisher({
      client: new EventBridgeClient({}),
      busName: 'keyless',
      sleep: noSleep,
    });
    const bad = { ...revoked(1), detail: { ...revoked(1).detail, accountId: 'nope' } } as KeylessEvent;
    await expect(publisher.publish([bad])).rejects.toThrow(/12-digit/);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});
