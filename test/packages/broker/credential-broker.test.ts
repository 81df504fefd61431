import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import {
  type CredentialBrokerOptions,
  createCredentialBroker,
  createRepeatedDenialWatch,
  SDK_REFRESH_WINDOW_MS,
} from '@keyless/broker';
import {
  AssumeRoleDeniedError,
  AssumeRoleFailedError,
  ConnectionFailedError,
  ConnectionRevokedError,
  InvalidCredentialRequestError,
  NotOnboardedError,
  ValidationPendingError,
} from '@keyless/broker/errors';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import type { RoleConnection } from '#shared/domain/connection.ts';
import { SESSION_NAME_PATTERN } from '#shared/domain/sts-limits.ts';
import { createLegacyKeyReader } from '#shared/legacy/legacy-keys.ts';
import { type ConnectionStore, createConnectionStore } from '#shared/store/connection-store.ts';
import { buildRoleConnection, buildSetup, randomAccountId } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';

const audit = { actor: 'test', reason: 'test setup' };
const START = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;

const sts = new STSClient({ region: 'us-east-1' });
const stsMock = mockClient(sts);
const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
mockClient(secretsManager);

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
  // Each AssumeRole issues distinct credentials valid for an hour from the (fake) clock.
  stsMock.on(AssumeRoleCommand).callsFake(async () => stsCredentials());
});

function stsCredentials(expiresAt = now + HOUR) {
  issued += 1;
  return {
    Credentials: {
      AccessKeyId: `ASIATESTSESSION${String(issued).padStart(5, '0')}`,
      SecretAccessKey: `secret-${issued}`,
      SessionToken: `token-${issued}`,
      Expiration: new Date(expiresAt),
    },
  };
}

function stsError(code: string) {
  return new STSServiceException({ name: code, $fault: 'client', $metadata: {}, message: `${code} test` });
}

function broker(overrides: Partial<CredentialBrokerOptions> = {}) {
  return createCredentialBroker({
    store,
    sts,
    legacyKeys: createLegacyKeyReader({ provider: new SecretsProvider({ awsSdkV3Client: secretsManager }) }),
    serviceName: 'keyless',
    sourceIdentity: 'report-worker',
    logger: new Logger({ serviceName: 'broker-test', logLevel: 'SILENT' }),
    clock: () => now,
    ...overrides,
  });
}

const uniqueCustomer = () => `cust-${Math.random().toString(36).slice(2, 10)}`;

/** A REGISTERED connection in DynamoDB Local, through the real store. */
async function registered(overrides: Partial<RoleConnection> = {}) {
  const customerId = overrides.customerId ?? uniqueCustomer();
  const setup = await store.putSetup(buildSetup({ customerId }));
  return store.registerConnection({
    connection: buildRoleConnection({ customerId, accountId: randomAccountId(), ...overrides }),
    setup,
    audit,
  });
}

async function active(overrides: Partial<RoleConnection> = {}) {
  return store.updateConnection({ connection: await registered(overrides), to: 'ACTIVE', audit });
}

const requestFor = (c: { customerId: string; accountId: string }) => ({
  customerId: c.customerId,
  accountId: c.accountId,
});

describe('CredentialBroker', () => {
  describe('Method: credentialsFor', () => {
    it('returns an SDK credential provider that assumes the role with the stored External ID', async () => {
      // Prepare
      const connection = (await active()) as RoleConnection;
      // Act
      const provider = broker().credentialsFor(requestFor(connection));
      const credentials = await provider();
      // Assess
      expect(credentials).toMatchObject({
        accessKeyId: 'ASIATESTSESSION00001',
        secretAccessKey: 'secret-1',
        sessionToken: 'token-1',
        accountId: connection.accountId,
      });
      expect(credentials.expiration).toBeInstanceOf(Date);
      expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
        RoleArn: connection.roleArn,
        ExternalId: connection.externalId,
        SourceIdentity: 'report-worker',
        DurationSeconds: 3600,
        RoleSessionName: `keyless-${connection.customerId}-${Math.floor(START / 1000)}`,
      });
    });

    it('names the session within STS limits and lets a worker name itself as SourceIdentity', async () => {
      // ':' is valid in a customer id but not in a session name, and the id is too long to fit whole.
      const connection = await active({ customerId: `team:${'x'.repeat(120)}` });
      await broker().getCredentials({ ...requestFor(connection), sourceIdentity: 'nightly-export' });
      const input = stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
      expect(input?.RoleSessionName).toMatch(SESSION_NAME_PATTERN);
      expect(input?.RoleSessionName).toMatch(new RegExp(`-${Math.floor(START / 1000)}$`));
      expect(input?.SourceIdentity).toBe('nightly-export');
    });

    it('passes a session policy and caches it apart from the unrestricted session', async () => {
      const connection = await active();
      const b = broker();
      const policy = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
      };
      await b.getCredentials({ ...requestFor(connection), sessionPolicy: policy });
      await b.getCredentials(requestFor(connection));
      await b.getCredentials({ ...requestFor(connection), sessionPolicy: policy });
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
      expect(stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input.Policy).toBe(JSON.stringify(policy));
    });

    it.each([
      [{ durationSeconds: 899 }, /durationSeconds must be at least 900/],
      [{ durationSeconds: 3601 }, /durationSeconds must be at most 3600/],
      [{ accountId: '12345' }, /accountId must be a 12-digit/],
      [{ sourceIdentity: 'has spaces in it' }, /sourceIdentity/],
      [{ sessionPolicy: 'x'.repeat(2049) }, /sessionPolicy must be at most 2048/],
    ])('refuses an invalid request %o before any AWS call', (override, message) => {
      const request = { customerId: 'acme', accountId: '111122223333', ...override };
      expect(() => broker().credentialsFor(request)).toThrow(InvalidCredentialRequestError);
      expect(() => broker().credentialsFor(request)).toThrow(message);
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    });
  });

  describe('Caching', () => {
    it('serves a cached session on a hit while still re-reading the connection status', async () => {
      // Prepare
      const connection = await active();
      const b = broker();
      const reads = vi.spyOn(store, 'getConnectionAccess');
      // Act
      const first = await b.getCredentials(requestFor(connection));
      now += 30 * 60_000;
      const second = await b.getCredentials(requestFor(connection));
      // Assess
      expect(second.accessKeyId).toBe(first.accessKeyId);
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
      expect(reads).toHaveBeenCalledTimes(2);
    });

    it('refreshes once the session is inside the refresh buffer, and not before', async () => {
      const connection = await active();
      const b = broker({ refreshBufferSeconds: 300 });
      await b.getCredentials(requestFor(connection));

      now = START + HOUR - 301_000;
      const outside = await b.getCredentials(requestFor(connection));
      expect(outside.accessKeyId).toBe('ASIATESTSESSION00001');

      now = START + HOUR - 299_000;
      const inside = await b.getCredentials(requestFor(connection));
      expect(inside.accessKeyId).toBe('ASIATESTSESSION00002');
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    });

    it('coalesces 1,000 concurrent misses into exactly one AssumeRole', async () => {
      // Prepare: STS answers slowly, so all 1,000 vends miss while the first is in flight.
      const connection = await active();
      stsMock.on(AssumeRoleCommand).callsFake(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return stsCredentials();
      });
      const b = broker();
      // Act
      const results = await Promise.all(
        Array.from({ length: 1000 }, () => b.getCredentials(requestFor(connection))),
      );
      // Assess
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
      expect(new Set(results.map((r) => r.accessKeyId))).toEqual(new Set(['ASIATESTSESSION00001']));
    });

    it('evicts the least recently used session beyond the bound', async () => {
      const [a, b, c] = [await active(), await active(), await active()];
      const bounded = broker({ maxCachedSessions: 2 });
      for (const connection of [a, b, c]) await bounded.getCredentials(requestFor(connection!));
      await bounded.getCredentials(requestFor(c!)); // still cached
      await bounded.getCredentials(requestFor(a!)); // evicted by c: assumed again
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 4);
    });

    it('assumes the role again once an External ID rotation is switched in', async () => {
      const connection = (await active()) as RoleConnection;
      const b = broker();
      await b.getCredentials(requestFor(connection));
      await store.updateConnection({ connection, set: { externalId: 'keyless-rotated-00000000000000000' } });
      await b.getCredentials(requestFor(connection));
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
      expect(stsMock.commandCalls(AssumeRoleCommand)[1]?.args[0].input.ExternalId).toBe(
        'keyless-rotated-00000000000000000',
      );
    });
  });

  describe('Failures', () => {
    it('never caches a failed AssumeRole: the next vend tries again', async () => {
      const connection = await active();
      stsMock
        .on(AssumeRoleCommand)
        .rejectsOnce(stsError('Throttling'))
        .callsFake(async () => stsCredentials());
      const b = broker();
      await expect(b.getCredentials(requestFor(connection))).rejects.toMatchObject({
        name: 'AssumeRoleFailedError',
        stsErrorCode: 'Throttling',
      });
      const credentials = await b.getCredentials(requestFor(connection));
      expect(credentials.accessKeyId).toBe('ASIATESTSESSION00001');
    });

    it('keeps serving the still-valid session when a refresh inside the buffer fails transiently', async () => {
      const connection = await active();
      const b = broker();
      await b.getCredentials(requestFor(connection));
      let throttled = false;
      stsMock.on(AssumeRoleCommand).callsFake(async () => {
        if (throttled) return stsCredentials();
        throttled = true;
        throw stsError('Throttling');
      });
      now = START + HOUR - 200_000;
      const served = await b.getCredentials(requestFor(connection));
      const refreshed = await b.getCredentials(requestFor(connection));
      expect(served.accessKeyId).toBe('ASIATESTSESSION00001');
      expect(refreshed.accessKeyId).toBe('ASIATESTSESSION00002');
    });

    it('raises AssumeRoleDeniedError with the STS code when the role no longer trusts us', async () => {
      const connection = await active();
      stsMock.on(AssumeRoleCommand).rejects(stsError('AccessDenied'));
      const vend = broker().getCredentials(requestFor(connection));
      await expect(vend).rejects.toBeInstanceOf(AssumeRoleDeniedError);
      await expect(vend).rejects.toMatchObject({ stsErrorCode: 'AccessDenied' });
    });

    it('asks for a re-validation of the connection once its role has denied AssumeRole repeatedly', async () => {
      // Prepare
      const connection = await active();
      const other = await active();

      const requests: { customerId: string; accountId: string }[] = [];
      let statusReads = 0;
      const b = broker({
        store: {
          async getConnectionAccess(customerId, accountId) {
            const access = await store.getConnectionAccess(customerId, accountId);
            statusReads += 1;
            return access;
          },
        },
        repeatedDenials: createRepeatedDenialWatch({
          requestRevalidation: async (ref) => {
            requests.push(ref);
          },
          logger: new Logger({ serviceName: 'broker-test', logLevel: 'SILENT' }),
          threshold: 3,
          clock: () => now,
        }),
      });
      // Act: a hundred callers waiting on one AssumeRole make one denial; two more vends follow.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      stsMock
        .on(AssumeRoleCommand)
        .callsFakeOnce(async () => {
          await held;
          throw stsError('AccessDenied');
        })
        .rejects(stsError('AccessDenied'));
      const waiting = Array.from({ length: 100 }, () => b.getCredentials(requestFor(connection)));
      // Every caller has read the status and joined the flight before STS answers: the first
      // caller's read, and one read queued behind it for the 99 who arrived while it was in flight.
      await vi.waitFor(() => expect(statusReads).toBe(2));
      release();
      await Promise.allSettled(waiting);
      expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(1);
      await expect(b.getCredentials(requestFor(other))).rejects.toBeInstanceOf(AssumeRoleDeniedError);
      await expect(b.getCredentials(requestFor(connection))).rejects.toBeInstanceOf(AssumeRoleDeniedError);
      expect(requests).toEqual([]);
      await expect(b.getCredentials(requestFor(connection))).rejects.toBeInstanceOf(AssumeRoleDeniedError);
      // Assess
      expect(requests).toEqual([requestFor(connection)]);
    });

    it('does not count a denial that a successful AssumeRole followed', async () => {
      const connection = await active();
      const requests: unknown[] = [];
      const b = broker({
        repeatedDenials: createRepeatedDenialWatch({
          requestRevalidation: async (ref) => {
            requests.push(ref);
          },
          logger: new Logger({ serviceName: 'broker-test', logLevel: 'SILENT' }),
          threshold: 2,
          clock: () => now,
        }),
      });
      stsMock
        .on(AssumeRoleCommand)
        .rejectsOnce(stsError('AccessDenied'))
        .callsFakeOnce(async () => stsCredentials())
        .rejects(stsError('AccessDenied'));
      await expect(b.getCredentials(requestFor(connection))).rejects.toBeInstanceOf(AssumeRoleDeniedError);
      await b.getCredentials(requestFor(connection));
      now += HOUR;
      await expect(b.getCredentials(requestFor(connection))).rejects.toBeInstanceOf(AssumeRoleDeniedError);
      expect(requests).toEqual([]);
    });

    it('raises AssumeRoleFailedError for a non-denial STS failure', async () => {
      const connection = await active();
      stsMock.on(AssumeRoleCommand).rejects(stsError('RegionDisabledException'));
      await expect(broker().getCredentials(requestFor(connection))).rejects.toBeInstanceOf(
        AssumeRoleFailedError,
      );
    });
  });

  describe('Connection state', () => {
    it('raises NotOnboardedError when the customer never connected the account', async () => {
      await expect(
        broker().getCredentials({ customerId: uniqueCustomer(), accountId: '111122223333' }),
      ).rejects.toBeInstanceOf(NotOnboardedError);
    });

    it('raises ValidationPendingError while the role is REGISTERED', async () => {
      const connection = await registered();
      await expect(broker().getCredentials(requestFor(connection))).rejects.toBeInstanceOf(
        ValidationPendingError,
      );
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    });

    it('raises ConnectionFailedError naming FAILED or BROKEN', async () => {
      const failed = await store.updateConnection({ connection: await registered(), to: 'FAILED', audit });
      const broken = await store.updateConnection({ connection: await active(), to: 'BROKEN', audit });
      const b = broker();
      await expect(b.getCredentials(requestFor(failed))).rejects.toMatchObject({
        name: 'ConnectionFailedError',
        status: 'FAILED',
      });
      await expect(b.getCredentials(requestFor(broken))).rejects.toBeInstanceOf(ConnectionFailedError);
      await expect(b.getCredentials(requestFor(broken))).rejects.toMatchObject({ status: 'BROKEN' });
    });

    it('refuses a REVOKED connection on the very next vend, though its session is cached', async () => {
      // Prepare
      const connection = await active();
      const b = broker();
      await b.getCredentials(requestFor(connection));
      // Act
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      // Assess
      await expect(b.getCredentials(requestFor(connection))).rejects.toBeInstanceOf(ConnectionRevokedError);
    });

    it('trusts a read status for the staleness bound only, and reports an expiration at half the bound', async () => {
      const connection = await active();
      const b = broker({ revocation: { mode: 'bounded', stalenessSeconds: 60 } });
      const reads = vi.spyOn(store, 'getConnectionAccess');

      const first = await b.getCredentials(requestFor(connection));
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      now += 59_000;
      const withinBound = await b.getCredentials(requestFor(connection));
      now += 2_000;
      const afterBound = b.getCredentials(requestFor(connection));

      // The SDK comes back when the status is half the bound old, when the broker re-reads it ahead.
      expect(first.expiration?.getTime()).toBe(START + 30_000 + SDK_REFRESH_WINDOW_MS);
      expect(withinBound.accessKeyId).toBe(first.accessKeyId);
      await expect(afterBound).rejects.toBeInstanceOf(ConnectionRevokedError);
      expect(reads).toHaveBeenCalledTimes(2);
    });
  });

  describe('Status reads', () => {
    /**
     * The real store, behind a gate: a read reaches DynamoDB at once, but while the gate is held
     * its answer is not returned — a read in flight, as the broker sees it.
     */
    function gatedStore() {
      let held: Promise<void> | undefined;
      let release = () => {};
      const gated = {
        sent: 0,
        answeredByDynamoDb: 0,
        hold() {
          held = new Promise((resolve) => {
            release = resolve;
          });
        },
        release() {
          held = undefined;
          release();
        },
        store: {
          async getConnectionAccess(customerId: string, accountId: string) {
            gated.sent += 1;
            const wait = held;
            const access = await store.getConnectionAccess(customerId, accountId);
            gated.answeredByDynamoDb += 1;
            await wait;
            return access;
          },
        },
      };
      return gated;
    }

    it('never lets a vend join a read that began before it: a revocation committed meanwhile is refused (bound 0)', async () => {
      // Prepare: a read that DynamoDB answered ACTIVE is still in flight when the revocation commits.
      const connection = await active();
      const gated = gatedStore();
      const b = broker({ store: gated.store });
      gated.hold();
      const before = b.getCredentials(requestFor(connection));
      await vi.waitFor(() => expect(gated.answeredByDynamoDb).toBe(1));
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      // Act: a vend that starts after the commit, while that read is still in flight.
      const after = b.getCredentials(requestFor(connection));
      gated.release();
      // Assess
      await expect(before).resolves.toMatchObject({ accessKeyId: 'ASIATESTSESSION00001' });
      await expect(after).rejects.toBeInstanceOf(ConnectionRevokedError);
      expect(gated.sent).toBe(2);
    });

    it('coalesces concurrent vends (bound 0) into the read in flight plus one read queued behind it', async () => {
      // Prepare
      const connection = await active();
      const gated = gatedStore();
      const b = broker({ store: gated.store });
      await b.getCredentials(requestFor(connection));
      gated.hold();
      // Act
      const first = b.getCredentials(requestFor(connection));
      await vi.waitFor(() => expect(gated.answeredByDynamoDb).toBe(2));
      const arrivedMeanwhile = Array.from({ length: 99 }, () => b.getCredentials(requestFor(connection)));
      gated.release();
      const served = await Promise.all([first, ...arrivedMeanwhile]);
      // Assess: the 99 shared one read, sent after the first read's answer, so after each of them started.
      expect(gated.sent).toBe(3);
      expect(new Set(served.map((c) => c.accessKeyId))).toEqual(new Set(['ASIATESTSESSION00001']));
    });

    it('coalesces concurrent vends of a connection whose status is past the bound into one read', async () => {
      // Prepare
      const connection = await active();
      const gated = gatedStore();
      const b = broker({ store: gated.store, revocation: { mode: 'bounded', stalenessSeconds: 60 } });
      await b.getCredentials(requestFor(connection));
      now += 61_000;
      gated.hold();
      // Act
      const vends = Array.from({ length: 100 }, () => b.getCredentials(requestFor(connection)));
      await vi.waitFor(() => expect(gated.answeredByDynamoDb).toBe(2));
      gated.release();
      const served = await Promise.all(vends);
      // Assess
      expect(gated.sent).toBe(2);
      expect(served.every((c) => c.accessKeyId === 'ASIATESTSESSION00001')).toBe(true);
    });

    it('re-reads ahead once the status is half the bound old, serving the trusted status meanwhile', async () => {
      // Prepare: trusted at START; revoked at +31 s.
      const connection = await active();
      const gated = gatedStore();
      const b = broker({ store: gated.store, revocation: { mode: 'bounded', stalenessSeconds: 60 } });
      await b.getCredentials(requestFor(connection));
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      now += 31_000;
      gated.hold();
      // Act: served from the status read at START (within the bound) while one re-read runs.
      const servedAhead = await b.getCredentials(requestFor(connection));
      const servedAgain = await b.getCredentials(requestFor(connection));
      const sentWhileHeld = gated.sent;
      gated.release();
      await vi.waitFor(() => expect(gated.answeredByDynamoDb).toBe(2));
      now += 1_000;
      const afterRefresh = b.getCredentials(requestFor(connection));
      // Assess: the revocation is seen at +32 s, not only once the bound runs out at +60 s.
      expect(servedAhead.accessKeyId).toBe('ASIATESTSESSION00001');
      expect(servedAgain.accessKeyId).toBe('ASIATESTSESSION00001');
      expect(sentWhileHeld).toBe(2);
      await expect(afterRefresh).rejects.toBeInstanceOf(ConnectionRevokedError);
      expect(gated.sent).toBe(2);
    });

    it('serves nothing past the bound when the re-read ahead failed: the vend reads again', async () => {
      // Prepare
      const connection = await active();
      let failNext = false;
      let reads = 0;
      const b = broker({
        revocation: { mode: 'bounded', stalenessSeconds: 60 },
        store: {
          async getConnectionAccess(customerId, accountId) {
            reads += 1;
            if (failNext) {
              failNext = false;
              throw new Error('ProvisionedThroughputExceededException');
            }
            return store.getConnectionAccess(customerId, accountId);
          },
        },
      });
      await b.getCredentials(requestFor(connection));
      failNext = true;
      now += 40_000;
      await b.getCredentials(requestFor(connection)); // starts the re-read ahead, which fails
      await vi.waitFor(() => expect(reads).toBe(2));
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      // Act
      now += 21_000;
      const pastBound = b.getCredentials(requestFor(connection));
      // Assess
      await expect(pastBound).rejects.toBeInstanceOf(ConnectionRevokedError);
      expect(reads).toBe(3);
    });
  });

  describe('Provider', () => {
    it('returns the very same credentials object while the status and the session are fresh', async () => {
      // Prepare
      const connection = await active();
      const reads = vi.spyOn(store, 'getConnectionAccess');
      const provider = broker({ revocation: { mode: 'bounded', stalenessSeconds: 60 } }).credentialsFor(
        requestFor(connection),
      );
      // Act
      const first = await provider();
      now += 10_000;
      const second = await provider();
      now += 25_000; // half the bound: a re-read ahead; its status makes a new object
      const third = await provider();
      await vi.waitFor(() => expect(reads).toHaveBeenCalledTimes(2));
      await reads.mock.results[1]?.value;
      const fourth = await provider();
      // Assess
      expect(second).toBe(first);
      expect(third).toBe(first);
      expect(fourth).not.toBe(first);
      expect(fourth.accessKeyId).toBe(first.accessKeyId);
      expect(fourth.expiration?.getTime()).toBe(START + 35_000 + 30_000 + SDK_REFRESH_WINDOW_MS);
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    });

    it('re-reads the status at once after clear(), within the bound', async () => {
      // Prepare
      const connection = await active();
      const b = broker({ revocation: { mode: 'bounded', stalenessSeconds: 300 } });
      const provider = b.credentialsFor(requestFor(connection));
      await provider();
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      // Act
      b.clear();
      // Assess
      await expect(provider()).rejects.toBeInstanceOf(ConnectionRevokedError);
    });

    it('assumes the role again for a provider whose session entered the refresh buffer', async () => {
      const connection = await active();
      const provider = broker({ revocation: { mode: 'bounded', stalenessSeconds: 300 } }).credentialsFor(
        requestFor(connection),
      );
      const first = await provider();
      now = START + HOUR - 299_000;
      const refreshed = await provider();
      expect(first.accessKeyId).toBe('ASIATESTSESSION00001');
      expect(refreshed.accessKeyId).toBe('ASIATESTSESSION00002');
    });
  });

  describe('With a real SDK client', () => {
    it('is asked again before every request, so a client built earlier stops at revocation', async () => {
      // Prepare: a real DynamoDB client (DynamoDB Local accepts any key) signing with broker credentials.
      const connection = await active();
      const b = broker({ clock: Date.now });
      stsMock.on(AssumeRoleCommand).callsFake(async () => stsCredentials(Date.now() + HOUR));
      const reads = vi.spyOn(store, 'getConnectionAccess');
      const client = new DynamoDBClient({
        endpoint: inject('dynamoEndpoint'),
        region: 'us-east-1',
        credentials: b.credentialsFor(requestFor(connection)),
      });
      // Act
      await client.send(new ListTablesCommand({ Limit: 1 }));
      await client.send(new ListTablesCommand({ Limit: 1 }));
      const readsBefore = reads.mock.calls.length;
      await store.updateConnection({ connection, to: 'REVOKED', audit });
      const afterRevocation = client.send(new ListTablesCommand({ Limit: 1 }));
      // Assess
      await expect(afterRevocation).rejects.toBeInstanceOf(ConnectionRevokedError);
      expect(readsBefore).toBeGreaterThanOrEqual(2);
      expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    });
  });
});
