/**
 * One vending measurement, in its own process (harness/child.ts): one implementation, one
 * concurrency, one way of checking revocation. The parent owns the local STS (and counts its
 * calls) and DynamoDB Local; this process only generates load and times each vend.
 *
 * Simulated time (`simulatedSpanMs` > 0): the global clock is replaced before anything is imported
 * and advances by `simulatedSpanMs / requests` as each request starts, so the run covers the same
 * two simulated hours of credential lifetimes whatever its real duration. With 0 the run is in
 * real time: the steady state of a busy instance. Latencies are always real (performance.now()).
 */

import { peakRssMb, serveChild } from '../harness/child.ts';
import { installSimulatedClock } from '../harness/clock.ts';
import { zipfSequence } from '../harness/random.ts';
import type { VendingCheck, VendingImpl } from '../harness/results.ts';
import { summarize } from '../harness/stats.ts';

export interface BenchConnection {
  customerId: string;
  accountId: string;
  roleArn: string;
  externalId: string;
}

export interface VendingInput {
  mode: 'load' | 'singleFlight';
  impl: VendingImpl;
  concurrency: number;
  check: VendingCheck;
  requests: number;
  connections: BenchConnection[];
  stsEndpoint: string;
  dynamoEndpoint: string;
  tableName: string;
  simulatedSpanMs: number;
  /** The broker's staleness bound in bounded mode. */
  stalenessSeconds: number;
  /** The revocation feed's poll interval in feed mode. */
  feedIntervalSeconds: number;
  seed: number;
}

export interface VendingOutput {
  wallMs: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  /** DynamoDB reads made during the run: connection statuses, and the feed's head and entries. */
  statusReads: number;
  errors: number;
  firstError?: string;
}

type Vend = (connection: BenchConnection) => Promise<unknown>;

let statusReads = 0;

const REGION = 'us-east-1';
const PROVIDER_CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };

async function run(input: VendingInput): Promise<VendingOutput> {
  // Half a second past a whole second: STS sees signing times truncated to the second.
  const simulated = input.simulatedSpanMs > 0;
  const clock = simulated ? installSimulatedClock(Math.floor(Date.now() / 1000) * 1000 + 500) : undefined;
  const vend = await createVend(input);
  const { connections, requests, concurrency } = input;
  const sequence =
    input.mode === 'singleFlight'
      ? new Uint16Array(requests)
      : zipfSequence({ n: connections.length, count: requests, seed: input.seed });
  const step = input.simulatedSpanMs / requests;
  const latencies = new Float64Array(requests);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;

  async function caller() {
    while (next < requests) {
      const i = next++;
      clock?.advance(step);
      const started = performance.now();
      try {
        await vend(connections[sequence[i] as number] as BenchConnection);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      latencies[i] = performance.now() - started;
    }
  }

  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, caller));
  const wallMs = performance.now() - started;
  clock?.uninstall();
  const { p50, p99 } = summarize(latencies);
  return {
    wallMs,
    p50Ms: p50,
    p99Ms: p99,
    peakRssMb: peakRssMb(),
    statusReads,
    errors,
    ...(firstError ? { firstError } : {}),
  };
}

/** Builds the per-request vend of one implementation, as a worker would hold it. */
async function createVend(input: VendingInput): Promise<Vend> {
  const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
  const { localDynamoDbClient } = await import('#local/emulator/dynamodb-local.ts');
  const { createDocumentClient } = await import('#shared/clients/dynamodb.ts');
  const { createConnectionStore } = await import('#shared/store/connection-store.ts');
  const connectionStore = createConnectionStore({
    client: createDocumentClient(localDynamoDbClient(input.dynamoEndpoint, REGION)),
    tableName: input.tableName,
  });
  // The status read every implementation makes (or skips), counted.
  const store = {
    getConnectionAccess(customerId: string, accountId: string) {
      statusReads++;
      return connectionStore.getConnectionAccess(customerId, accountId);
    },
  };
  const key = (c: BenchConnection) => `${c.customerId}/${c.accountId}`;

  /** What the two baselines do with `read-per-vend`: the same read the broker makes. */
  async function assertActive(c: BenchConnection) {
    const access = await store.getConnectionAccess(c.customerId, c.accountId);
    if (access?.status !== 'ACTIVE') throw new Error(`${key(c)} is not ACTIVE`);
  }

  switch (input.impl) {
    case 'keyless': {
      const { createCredentialBroker, createDynamoDBRevocationFeed } = await import('@keyless/broker');
      const { createLogger } = await import('#shared/observability.ts');
      const feed = createDynamoDBRevocationFeed({
        client: localDynamoDbClient(input.dynamoEndpoint, REGION),
        tableName: input.tableName,
      });
      const countedFeed = {
        readHead() {
          statusReads++;
          return feed.readHead();
        },
        readEntriesSince(since: string) {
          statusReads++;
          return feed.readEntriesSince(since);
        },
      };
      const revocation =
        input.check === 'feed'
          ? ({ mode: 'feed', feed: countedFeed, intervalSeconds: input.feedIntervalSeconds } as const)
          : input.check === 'bounded'
            ? ({ mode: 'bounded', stalenessSeconds: input.stalenessSeconds } as const)
            : ({ mode: 'strict' } as const);
      const broker = createCredentialBroker({
        store,
        sts: new STSClient({
          endpoint: input.stsEndpoint,
          region: REGION,
          credentials: PROVIDER_CREDENTIALS,
        }),
        legacyKeys: {
          read: () => Promise.reject(new Error('no legacy connections in this benchmark')),
        },
        serviceName: 'bench',
        sourceIdentity: 'bench-worker',
        logger: createLogger('bench'),
        revocation,
        clock: () => Date.now(),
      });
      // The provider kept per connection, like the SDK baseline's client; each vend calls it, as an
      // SDK client does before signing every request while the connection status must be re-read.
      const providers = new Map<string, ReturnType<typeof broker.credentialsFor>>();
      return (c) => {
        let provider = providers.get(key(c));
        if (!provider) {
          provider = broker.credentialsFor({ customerId: c.customerId, accountId: c.accountId });
          providers.set(key(c), provider);
        }
        return provider();
      };
    }
    case 'sdk-fromTemporaryCredentials': {
      const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
      // One SDK client per connection holding fromTemporaryCredentials: the SDK memoizes the
      // credentials until 5 minutes before they expire and coalesces concurrent refreshes.
      const clients = new Map<string, InstanceType<typeof STSClient>>();
      return async (c) => {
        if (input.check === 'read-per-vend') await assertActive(c);
        let client = clients.get(key(c));
        if (!client) {
          client = new STSClient({
            region: REGION,
            credentials: fromTemporaryCredentials({
              params: {
                RoleArn: c.roleArn,
                ExternalId: c.externalId,
                SourceIdentity: 'bench-worker',
                DurationSeconds: 3600,
              },
              masterCredentials: PROVIDER_CREDENTIALS,
              clientConfig: { endpoint: input.stsEndpoint, region: REGION },
            }),
          });
          clients.set(key(c), client);
        }
        return client.config.credentials();
      };
    }
    case 'naive': {
      // One AssumeRole per request, through one shared STS client.
      const sts = new STSClient({
        endpoint: input.stsEndpoint,
        region: REGION,
        credentials: PROVIDER_CREDENTIALS,
      });
      return async (c) => {
        if (input.check === 'read-per-vend') await assertActive(c);
        const { Credentials } = await sts.send(
          new AssumeRoleCommand({
            RoleArn: c.roleArn,
            ExternalId: c.externalId,
            RoleSessionName: `bench-${c.customerId}-${Math.floor(Date.now() / 1000)}`,
            SourceIdentity: 'bench-worker',
            DurationSeconds: 3600,
          }),
        );
        return Credentials;
      };
    }
  }
}

serveChild(run);
