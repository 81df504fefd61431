/**
 * The revocation feed end to end: the store's transitions append to it in their transaction, and
 * brokers in feed mode (the package's DynamoDB readers on DynamoDB Local) see each change within
 * the interval without a status read per vend (docs/architecture.md §2.3, invariant 5).
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  type CredentialBrokerOptions,
  createConsoleLogger,
  createCredentialBroker,
  createDynamoDBRevocationFeed,
  createDynamoDBStatusReader,
  type RevocationFeedReader,
  type StatusReader,
} from '@keyless/broker';
import {
  ConnectionFailedError,
  ConnectionRevokedError,
  ValidationPendingError,
} from '@keyless/broker/errors';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RoleConnection } from '#shared/domain/connection.ts';
import { type ConnectionStore, createConnectionStore } from '#shared/store/connection-store.ts';
import { buildRoleConnection, buildSetup, randomAccountId } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';

const audit = { actor: 'test', reason: 'test setup' } as const;
const START = Date.parse('2026-03-01T12:00:00Z');
const INTERVAL = 1_000;

const sts = new STSClient({ region: 'us-east-1' });
const stsMock = mockClient(sts);

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ConnectionStore;
let now: number;
let issued: number;

beforeAll(async () => {
  table = await createTestTable();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(() => table.drop());

beforeEach(() => {
  now = START;
  issued = 0;
  stsMock.reset();
  stsMock.on(AssumeRoleCommand).callsFake(async () => {
    issued += 1;
    return {
      Credentials: {
        AccessKeyId: `ASIAFEEDSESSION${String(issued).padStart(5, '0')}`,
        SecretAccessKey: `secret-${issued}`,
        SessionToken: `token-${issued}`,
        Expiration: new Date(now + 3_600_000),
      },
    };
  });
});

/** The package's readers on the test table, counting what they read. */
function counted() {
  const tableRef = { client: table.client, tableName: table.tableName };
  const statusReader = createDynamoDBStatusReader(tableRef);
  const feedReader = createDynamoDBRevocationFeed(tableRef);
  const counts = { status: 0, head: 0, entries: 0 };
  const store: StatusReader = {
    getConnectionAccess(customerId, accountId) {
      counts.status += 1;
      return statusReader.getConnectionAccess(customerId, accountId);
    },
  };
  const feed: RevocationFeedReader = {
    readHead() {
      counts.head += 1;
      return feedReader.readHead();
    },
    readEntriesSince(since) {
      counts.entries += 1;
      return feedReader.readEntriesSince(since);
    },
  };
  return { counts, store, feed };
}

function feedBroker(overrides: Partial<CredentialBrokerOptions> = {}) {
  const readers = counted();
  const broker = createCredentialBroker({
    store: readers.store,
    sts,
    legacyKeys: { read: () => Promise.reject(new Error('no legacy connections here')) },
    serviceName: 'keyless',
    sourceIdentity: 'report-worker',
    logger: createConsoleLogger('feed-test', 'SILENT'),
    revocation: { mode: 'feed', feed: readers.feed, intervalSeconds: INTERVAL / 1000 },
    clock: () => now,
    ...overrides,
  });
  return { broker, counts: readers.counts, feed: readers.feed, store: readers.store };
}

const uniqueCustomer = () => `feed-${Math.random().toString(36).slice(2, 10)}`;

async function registered(overrides: Partial<RoleConnection> = {}) {
  const customerId = overrides.customerId ?? uniqueCustomer();
  const setup = await store.putSetup(buildSetup({ customerId }));
  return store.registerConnection({
    connection: buildRoleConnection({ customerId, accountId: randomAccountId(), ...overrides }),
    setup,
    audit,
  });
}

const active = async () =>
  (await store.updateConnection({ connection: await registered(), to: 'ACTIVE', audit })) as RoleConnection;

const requestFor = (c: { customerId: string; accountId: string }) => ({
  customerId: c.customerId,
  accountId: c.accountId,
});

/** Vends until the broker refuses, advancing the clock 100 ms at a time; the refusal and when it came. */
async function firstRefusal(vend: () => Promise<unknown>, limitMs = 3 * INTERVAL) {
  const from = now;
  while (now - from <= limitMs) {
    try {
      await vend();
    } catch (error) {
      return { error, afterMs: now - from };
    }
    // Let a background poll or re-read started by that vend land before the next one.
    await new Promise((resolve) => setTimeout(resolve, 20));
    now += 100;
  }
  throw new Error(`No refusal within ${limitMs} ms`);
}

describe('Revocation feed', () => {
  describe('Store: transitions append to the feed', () => {
    it('appends one entry, in the transition, for every write that takes a connection out of ACTIVE', async () => {
      // Prepare
      const feed = createDynamoDBRevocationFeed({ client: table.client, tableName: table.tableName });
      const before = await feed.readHead();
      const revoked = await active();
      const broken = await active();
      const stamped = await active();
      // Act
      await store.updateConnection({ connection: revoked, to: 'REVOKED', audit });
      await store.updateConnection({ connection: broken, to: 'BROKEN', set: { lastError: 'gone' }, audit });
      await store.updateConnection({ connection: stamped, set: { validatedAt: new Date().toISOString() } });
      // Assess: two entries (the daily re-validation stamp changes nothing a broker serves).
      const after = await feed.readHead();
      expect(after.sequence - before.sequence).toBe(2);
      const entries = await feed.readEntriesSince(new Date(Date.now() - 60_000).toISOString());
      const named = entries.map((e) => e.accountId);
      expect(named).toContain(revoked.accountId);
      expect(named).toContain(broken.accountId);
      expect(named).not.toContain(stamped.accountId);
    });

    it('appends an entry when an ACTIVE connection switches to a new External ID, and none for REGISTERED → FAILED', async () => {
      const feed = createDynamoDBRevocationFeed({ client: table.client, tableName: table.tableName });
      const rotated = await active();
      const failing = await registered();
      const before = await feed.readHead();
      await store.updateConnection({
        connection: rotated,
        set: { externalId: 'keyless-rotated-feed-000000000000' },
      });
      await store.updateConnection({
        connection: failing,
        to: 'FAILED',
        set: { lastError: 'no trust' },
        audit,
      });
      expect((await feed.readHead()).sequence - before.sequence).toBe(1);
    });

    it('lets concurrent transitions all append: conflicts on the head are retried', async () => {
      const feed = createDynamoDBRevocationFeed({ client: table.client, tableName: table.tableName });
      const connections = await Promise.all(Array.from({ length: 8 }, () => active()));
      const before = await feed.readHead();
      await Promise.all(
        connections.map((connection) => store.updateConnection({ connection, to: 'REVOKED', audit })),
      );
      expect((await feed.readHead()).sequence - before.sequence).toBe(8);
    });
  });

  describe('Broker: feed mode', () => {
    it('shows a revocation to two broker instances within the interval, without a status read per vend', async () => {
      // Prepare: two instances serving the same connection.
      const connection = await active();
      const [a, b] = [feedBroker(), feedBroker()];
      for (let i = 0; i < 5; i++) {
        await a.broker.getCredentials(requestFor(connection));
        await b.broker.getCredentials(requestFor(connection));
      }
      expect(a.counts.status).toBe(1);
      expect(b.counts.status).toBe(1);
      // Act
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      const seenByA = await firstRefusal(() => a.broker.getCredentials(requestFor(connection)));
      now = START;
      const seenByB = await firstRefusal(() => b.broker.getCredentials(requestFor(connection)));
      // Assess
      for (const seen of [seenByA, seenByB]) {
        expect(seen.error).toBeInstanceOf(ConnectionRevokedError);
        expect(seen.afterMs).toBeLessThanOrEqual(INTERVAL);
      }
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    });

    it('polls the head once per interval whatever the number of connections, reading each status once', async () => {
      // Prepare
      const connections = await Promise.all(Array.from({ length: 20 }, () => active()));
      const { broker, counts } = feedBroker();
      // Act: 10 simulated seconds, every connection vended every 50 ms.
      for (let step = 0; step < 200; step++) {
        await Promise.all(connections.map((c) => broker.getCredentials(requestFor(c))));
        now += 50;
        if (step % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // Assess: ~1.25 polls per interval (a poll starts at 80% of it), one status read per connection.
      expect(counts.status).toBe(20);
      expect(counts.head).toBeGreaterThanOrEqual(8);
      expect(counts.head).toBeLessThanOrEqual(14);
    });

    it("reads a new instance's first connection while its first poll is in flight, not after it", async () => {
      // Prepare: a head read that answers only once released, and a status read that says when it began.
      const connection = await active();
      const { broker, feed, store: reader } = feedBroker();
      const events: string[] = [];
      let releaseHead: () => void = () => {};
      const headRead = feed.readHead.bind(feed);
      vi.spyOn(feed, 'readHead').mockImplementationOnce(async () => {
        await new Promise<void>((resolve) => {
          releaseHead = resolve;
        });
        events.push('head answered');
        return headRead();
      });
      const statusRead = reader.getConnectionAccess.bind(reader);
      vi.spyOn(reader, 'getConnectionAccess').mockImplementation((customerId, accountId) => {
        events.push('status read sent');
        return statusRead(customerId, accountId);
      });
      // Act
      const vend = broker.getCredentials(requestFor(connection));
      await vi.waitFor(() => expect(events).toContain('status read sent'));
      releaseHead();
      const credentials = await vend;
      // Assess: both in one round, and the feed vouches for the read (no second one within the interval).
      expect(events).toEqual(['status read sent', 'head answered']);
      expect(credentials.accessKeyId).toBe('ASIAFEEDSESSION00001');
      now += INTERVAL / 2;
      await broker.getCredentials(requestFor(connection));
      expect(events.filter((event) => event === 'status read sent')).toHaveLength(1);
    });

    it("refuses a new instance's first vend of a REVOKED connection, whatever its first poll says", async () => {
      // Prepare
      const connection = await active();
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      const { broker, feed } = feedBroker();
      vi.spyOn(feed, 'readHead').mockRejectedValue(new Error('ProvisionedThroughputExceeded'));
      // Act / Assess: the lost poll leaves the status read to decide, as in strict mode.
      await expect(broker.getCredentials(requestFor(connection))).rejects.toBeInstanceOf(
        ConnectionRevokedError,
      );
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    });

    it('ignores an entry naming a connection this instance never saw', async () => {
      // Prepare
      const served = await active();
      const stranger = await active();
      const { broker, counts } = feedBroker();
      await broker.getCredentials(requestFor(served));
      // Act
      await store.updateConnection({ connection: stranger, to: 'REVOKED', audit });
      now += INTERVAL + 1;
      await broker.getCredentials(requestFor(served));
      await vi.waitFor(() => expect(counts.entries).toBe(1));
      now += 100;
      const again = await broker.getCredentials(requestFor(served));
      // Assess: the entry was read, nothing about the stranger was, and the served status stood.
      expect(again.accessKeyId).toBe('ASIAFEEDSESSION00001');
      expect(counts.status).toBe(1);
    });

    it('never trusts a status past the interval when polls are lost: it retries, then reads the status', async () => {
      // Prepare: a feed whose head reads fail from now on.
      const connection = await active();
      const { broker, feed, counts } = feedBroker();
      await broker.getCredentials(requestFor(connection));
      const failing = vi
        .spyOn(feed, 'readHead')
        .mockRejectedValue(new Error('ProvisionedThroughputExceeded'));
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      // Act: within the interval the trusted status is served (the background poll fails) …
      now += 900;
      await expect(broker.getCredentials(requestFor(connection))).resolves.toBeDefined();
      await vi.waitFor(() => expect(failing).toHaveBeenCalledTimes(1));
      // … past it, the vend polls twice, both lost, and falls back to a status read.
      now += 101;
      const pastInterval = broker.getCredentials(requestFor(connection));
      // Assess
      await expect(pastInterval).rejects.toBeInstanceOf(ConnectionRevokedError);
      expect(failing).toHaveBeenCalledTimes(3);
      expect(counts.status).toBe(2);
    });

    it('refuses at once after a restart, and after clear(), without waiting for the feed', async () => {
      // Prepare
      const connection = await active();
      const before = feedBroker();
      await before.broker.getCredentials(requestFor(connection));
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      // Act: a new instance (a cold start), and the old one cleared.
      const restarted = feedBroker();
      const onRestarted = restarted.broker.getCredentials(requestFor(connection));
      before.broker.clear();
      const afterClear = before.broker.getCredentials(requestFor(connection));
      // Assess: the first vend of an instance polls the head, then reads the status. Both refusals
      // are awaited together, so neither rejects before its handler is attached.
      await Promise.all([
        expect(onRestarted).rejects.toBeInstanceOf(ConnectionRevokedError),
        expect(afterClear).rejects.toBeInstanceOf(ConnectionRevokedError),
      ]);
      expect(restarted.counts).toMatchObject({ head: 1, status: 1 });
    });

    it('shows ACTIVE → BROKEN within the interval', async () => {
      const connection = await active();
      const { broker } = feedBroker();
      await broker.getCredentials(requestFor(connection));
      await store.updateConnection({ connection, to: 'BROKEN', set: { lastError: 'role deleted' }, audit });
      const seen = await firstRefusal(() => broker.getCredentials(requestFor(connection)));
      expect(seen.error).toBeInstanceOf(ConnectionFailedError);
      expect(seen.error).toMatchObject({ status: 'BROKEN' });
      expect(seen.afterMs).toBeLessThanOrEqual(INTERVAL);
    });

    it('shows REGISTERED → FAILED within the interval (a status not ACTIVE is trusted for the interval only)', async () => {
      const connection = await registered();
      const { broker } = feedBroker();
      await expect(broker.getCredentials(requestFor(connection))).rejects.toBeInstanceOf(
        ValidationPendingError,
      );
      await store.updateConnection({ connection, to: 'FAILED', set: { lastError: 'no trust' }, audit });
      let refusal: unknown;
      const from = now;
      while (now - from <= INTERVAL) {
        refusal = await broker.getCredentials(requestFor(connection)).catch((error: unknown) => error);
        if (refusal instanceof ConnectionFailedError) break;
        now += 100;
      }
      expect(refusal).toBeInstanceOf(ConnectionFailedError);
      expect(refusal).toMatchObject({ status: 'FAILED' });
    });

    it('assumes the role with the new External ID once the feed names its rotation', async () => {
      const connection = await active();
      const { broker } = feedBroker();
      await broker.getCredentials(requestFor(connection));
      await store.updateConnection({ connection, set: { externalId: 'keyless-rotated-feed-111111111111' } });
      now += INTERVAL + 1;
      await broker.getCredentials(requestFor(connection)); // polls, learns of the rotation
      await broker.getCredentials(requestFor(connection)); // re-reads, assumes again
      expect(stsMock.commandCalls(AssumeRoleCommand).at(-1)?.args[0].input.ExternalId).toBe(
        'keyless-rotated-feed-111111111111',
      );
    });

    it('never makes a vend wait inside the interval: the poll runs in the background', async () => {
      // Prepare: a head read that does not answer until released.
      const connection = await active();
      const { broker, feed } = feedBroker();
      await broker.getCredentials(requestFor(connection));
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const realHead = feed.readHead.bind(feed);
      vi.spyOn(feed, 'readHead').mockImplementation(async () => {
        await held;
        return realHead();
      });
      // Act: past the refresh point, inside the interval, with the poll held.
      now += 850;
      const served = await Promise.race([
        broker.getCredentials(requestFor(connection)),
        new Promise((resolve) => setTimeout(() => resolve('waited'), 500)),
      ]);
      release();
      // Assess
      expect(served).toMatchObject({ accessKeyId: 'ASIAFEEDSESSION00001' });
    });
  });
});
