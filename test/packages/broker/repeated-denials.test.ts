import { Logger } from '@aws-lambda-powertools/logger';
import { type ConnectionRef, createRepeatedDenialWatch, type RepeatedDenialOptions } from '@keyless/broker';
import { beforeEach, describe, expect, it } from 'vitest';

const MINUTE = 60_000;
const acme = { customerId: 'acme', accountId: '111122223333' };
const globex = { customerId: 'globex', accountId: '444455556666' };

let now: number;
let requests: ConnectionRef[];

beforeEach(() => {
  now = Date.parse('2026-03-01T12:00:00Z');
  requests = [];
});

function watch(overrides: Partial<RepeatedDenialOptions> = {}) {
  return createRepeatedDenialWatch({
    requestRevalidation: async (connection) => {
      requests.push(connection);
    },
    logger: new Logger({ serviceName: 'denials-test', logLevel: 'SILENT' }),
    threshold: 3,
    windowSeconds: 900,
    cooldownSeconds: 3600,
    clock: () => now,
    ...overrides,
  });
}

async function deny(w: ReturnType<typeof watch>, connection: ConnectionRef, times: number) {
  const outcomes = [];
  for (let i = 0; i < times; i += 1) outcomes.push(await w.denied(connection));
  return outcomes;
}

describe('createRepeatedDenialWatch', () => {
  it('asks for a re-validation of that one connection on the third consecutive denial', async () => {
    // Prepare
    const w = watch();
    // Act
    const outcomes = await deny(w, acme, 3);
    // Assess
    expect(outcomes).toEqual(['counted', 'counted', 'requested']);
    expect(requests).toEqual([acme]);
  });

  it('does not ask when a successful AssumeRole came between the denials', async () => {
    const w = watch();
    await deny(w, acme, 2);
    w.succeeded(acme);
    await deny(w, acme, 2);
    expect(requests).toEqual([]);
  });

  it('counts only denials inside the window', async () => {
    const w = watch();
    await deny(w, acme, 2);
    now += 16 * MINUTE;
    expect(await w.denied(acme)).toBe('counted');
    expect(requests).toEqual([]);
  });

  it('asks at most once per connection within the cooldown, and again after it', async () => {
    const w = watch();
    await deny(w, acme, 3);
    now += 30 * MINUTE;
    expect(await deny(w, acme, 3)).toEqual(['counted', 'counted', 'suppressed']);
    now += 31 * MINUTE;
    expect(await deny(w, acme, 3)).toEqual(['counted', 'counted', 'requested']);
    expect(requests).toEqual([acme, acme]);
  });

  it('asks once when concurrent denials cross the threshold together', async () => {
    const w = watch();
    await deny(w, acme, 2);
    const outcomes = await Promise.all([w.denied(acme), w.denied(acme), w.denied(acme)]);
    expect(outcomes.filter((o) => o === 'requested')).toHaveLength(1);
    expect(requests).toEqual([acme]);
  });

  it('caps the requests per minute across connections, so a flood of denials cannot spam the validator', async () => {
    const w = watch({ threshold: 1, maxRequestsPerMinute: 2 });
    const connections = Array.from({ length: 50 }, (_, i) => ({
      customerId: `customer-${i}`,
      accountId: String(100000000000 + i),
    }));
    for (const connection of connections) await w.denied(connection);
    expect(requests).toEqual(connections.slice(0, 2));
    now += MINUTE;
    expect(await w.denied(connections[10]!)).toBe('requested');
  });

  it('keeps connections apart', async () => {
    const w = watch();
    await deny(w, acme, 2);
    await deny(w, globex, 2);
    expect(requests).toEqual([]);
    await w.denied(globex);
    expect(requests).toEqual([globex]);
  });

  it('never throws when the request fails, and asks again on the next denial', async () => {
    let fail = true;
    const w = watch({
      requestRevalidation: async (connection) => {
        if (fail) throw new Error('Lambda unavailable');
        requests.push(connection);
      },
    });
    expect(await deny(w, acme, 3)).toEqual(['counted', 'counted', 'request-failed']);
    fail = false;
    expect(await deny(w, acme, 3)).toEqual(['counted', 'counted', 'requested']);
    expect(requests).toEqual([acme]);
  });
});
