/**
 * The local event bus: PutEvents entries become EventBridge events, routed to functions by the
 * rules of `shared/events/rules.ts` through the content-filter matcher; scheduled rules fire on
 * their timer. Delivery is asynchronous and retried as deployed (shared/events/delivery-policy.ts):
 * EventBridge retries a hand-off Lambda refused, Lambda retries a function error.
 */
import { randomUUID } from 'node:crypto';
import { backoffDelay, sleep } from '#shared/backoff.ts';
import { RULE_TARGET_RETRY_POLICY } from '#shared/events/delivery-policy.ts';
import type { RuleDefinition } from '#shared/events/rules.ts';
import { invokeAsynchronously } from './async-invocation.ts';
import { compileEventPattern, type EventMatcher } from './event-pattern.ts';
import { FunctionNotFoundError, type InvocationResult } from './functions.ts';
import { nextScheduleTime } from './schedule.ts';

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: string | number;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface LocalEventBusOptions {
  busName: string;
  region: string;
  accountId: string;
  rules: readonly RuleDefinition[];
  invoke: (target: string, event: unknown) => Promise<InvocationResult>;
  /** Told about each delivery, for the runtime's log. */
  onDelivery?: (delivery: {
    rule: string;
    target: string;
    event: EventBridgeEvent;
    attempt: number;
    result: InvocationResult;
  }) => void;
  /** Told about an event given up on: what the target's dead-letter queue receives when deployed. */
  onDeadLetter?: (undelivered: {
    rule: string;
    target: string;
    event: EventBridgeEvent;
    error: unknown;
  }) => void;
  /** The base of the local waits between retries (deployed, they are minutes). */
  retryDelayMs?: number;
}

/** Hand-offs EventBridge makes to a target: the first and the retry policy's retries. */
export const RULE_TARGET_ATTEMPTS = 1 + RULE_TARGET_RETRY_POLICY.retryAttempts;

export type LocalEventBus = ReturnType<typeof createLocalEventBus>;

export function createLocalEventBus({
  busName,
  region,
  accountId,
  rules,
  invoke,
  onDelivery,
  onDeadLetter,
  retryDelayMs = 1000,
}: LocalEventBusOptions) {
  const busArn = `arn:aws:events:${region}:${accountId}:event-bus/${busName}`;
  const routes: { rule: RuleDefinition; matches: EventMatcher }[] = rules
    .filter((rule) => rule.pattern)
    .map((rule) => ({ rule, matches: compileEventPattern(rule.pattern as Record<string, unknown>) }));
  const inFlight = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  /** Events accepted per detail-type, for `/_local/stats`. */
  const accepted = new Map<string, number>();

  function track(work: Promise<void>) {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  async function deliver(rule: RuleDefinition, event: EventBridgeEvent): Promise<void> {
    const input = rule.input ?? event;
    for (let handOff = 1; ; handOff += 1) {
      // A throw before the first run is a refused hand-off, EventBridge's to retry; once the function
      // has run, Lambda has the event and only Lambda retries.
      let accepted = false;
      try {
        await invokeAsynchronously(() => invoke(rule.target, input), {
          retryDelayMs,
          onAttempt: (attempt, result) => {
            accepted = true;
            onDelivery?.({ rule: rule.id, target: rule.target, event, attempt, result });
          },
        });
        return;
      } catch (error) {
        // EventBridge never retries a missing target: the event goes straight to the dead-letter queue.
        const retriable = !accepted && !(error instanceof FunctionNotFoundError);
        if (!retriable || handOff >= RULE_TARGET_ATTEMPTS) {
          onDeadLetter?.({ rule: rule.id, target: rule.target, event, error });
          return;
        }
        await sleep(backoffDelay(retryDelayMs, handOff));
      }
    }
  }

  /** Routes one event to every rule it matches; returns the targets it was sent to. */
  function route(event: EventBridgeEvent): string[] {
    const matched = routes.filter(({ matches }) => matches(event));
    for (const { rule } of matched) track(deliver(rule, event));
    return matched.map(({ rule }) => rule.target);
  }

  function toEvent(entry: PutEventsEntry): EventBridgeEvent | { ErrorCode: string; ErrorMessage: string } {
    if (entry.EventBusName && entry.EventBusName !== busName && entry.EventBusName !== busArn) {
      return {
        ErrorCode: 'NotFoundException',
        ErrorMessage: `Event bus ${entry.EventBusName} does not exist.`,
      };
    }
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
      const missing = !entry.Source ? 'Source' : !entry.DetailType ? 'DetailType' : 'Detail';
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${missing} is not valid. Reason: ${missing} is a required argument.`,
      };
    }
    if (entry.Source.startsWith('aws.')) {
      // AWS services' own events reach a bus from the service (or a cross-account rule), never PutEvents.
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const time =
      entry.Time === undefined
        ? new Date()
        : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time);
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: accountId,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: entry.Resources ?? [],
      detail,
    };
  }

  /** PutEvents: each entry is accepted (an EventId) or refused (an error code), like the API. */
  function putEvents(entries: PutEventsEntry[]): {
    FailedEntryCount: number;
    Entries: PutEventsResultEntry[];
  } {
    const results = entries.map((entry): PutEventsResultEntry => {
      const event = toEvent(entry);
      if ('ErrorCode' in event) return event;
      accepted.set(event['detail-type'], (accepted.get(event['detail-type']) ?? 0) + 1);
      route(event);
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  }

  /** The event a scheduled rule sends (EventBridge's "Scheduled Event"). */
  function scheduledEvent(rule: RuleDefinition, at = new Date()): EventBridgeEvent {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: accountId,
      time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [`arn:aws:events:${region}:${accountId}:rule/keyless-${rule.id}`],
      detail: {},
    };
  }

  /** Fires a scheduled rule now. */
  function fireSchedule(ruleId: string): void {
    const rule = rules.find((candidate) => candidate.id === ruleId && candidate.schedule);
    if (!rule) throw new Error(`No scheduled rule "${ruleId}"`);
    track(deliver(rule, scheduledEvent(rule)));
  }

  /** Arms a timer for every scheduled rule; each re-arms itself after firing. */
  function startSchedules(now: () => number = Date.now): void {
    for (const rule of rules) {
      if (!rule.schedule) continue;
      const schedule = rule.schedule;
      const arm = () => {
        const delay = Math.max(0, nextScheduleTime(schedule, now()) - now());
        const timer = setTimeout(() => {
          timers.delete(timer);
          track(deliver(rule, scheduledEvent(rule)));
          arm();
        }, delay);
        timer.unref();
        timers.add(timer);
      };
      arm();
    }
  }

  /** Resolves once every delivery under way (and those they cause) has finished. */
  async function idle(): Promise<void> {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }

  function stop(): void {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  }

  return {
    busName,
    busArn,
    acceptedEvents: () => Object.fromEntries(accepted),
    putEvents,
    route,
    fireSchedule,
    scheduledEvent,
    startSchedules,
    idle,
    stop,
  };
}
