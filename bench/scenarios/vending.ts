/**
 * Credential vending (issues 8 and 17) and single flight.
 *
 * 100 ACTIVE connections in DynamoDB Local, requests drawn with a Zipf-like skew (s = 1), STS
 * answered by the local runtime's STS after 30–80 ms (harness/sts.ts). Two groups of rows:
 * - a status read per vend (Keyless strict against the SDK provider plus one read per vend, and
 *   naive), over two simulated hours of credential lifetimes, so STS calls per lifetime show;
 * - no read per vend (Keyless feed and bounded against the SDK provider without a check), in real
 *   time: simulated hours would make every time-driven read (a poll each second, a re-read each
 *   bound) hundreds of times more frequent per vend than on a busy instance.
 * Each row runs in a fresh process against a fresh STS, so STS calls and peak RSS belong to it alone.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AssumeRoleCall } from '#local/emulator/sts.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { runInChild } from '../harness/child.ts';
import { startBenchTable } from '../harness/dynamodb.ts';
import type { BenchOptions } from '../harness/options.ts';
import type { SingleFlightResult, VendingCheck, VendingImpl, VendingRow } from '../harness/results.ts';
import { ratio, round } from '../harness/stats.ts';
import { startBenchSts } from '../harness/sts.ts';
import { type Column, formatTable } from '../harness/table.ts';
import type { BenchConnection, VendingInput, VendingOutput } from './vending-worker.ts';

const WORKER = new URL('./vending-worker.ts', import.meta.url);
const CONNECTIONS = 100;
const SIMULATED_SPAN_MS = 2 * 3600_000;
const CREDENTIAL_LIFETIME_MS = 3600_000;
/** Bounded mode: the broker trusts a status read for this long. */
const STALENESS_SECONDS = 300;
/** Feed mode: the revocation feed's poll interval (the default). */
const FEED_INTERVAL_SECONDS = 1;

/** The contenders of each group: Keyless's modes and their SDK counterparts. */
const GROUPS: { timeBase: VendingRow['timeBase']; contenders: [VendingImpl, VendingCheck][] }[] = [
  {
    timeBase: 'simulated-2h',
    contenders: [
      ['keyless', 'strict'],
      ['sdk-fromTemporaryCredentials', 'read-per-vend'],
      ['naive', 'read-per-vend'],
    ],
  },
  {
    timeBase: 'real',
    contenders: [
      ['keyless', 'feed'],
      ['keyless', 'bounded'],
      ['sdk-fromTemporaryCredentials', 'none'],
    ],
  },
];

/** The SDK row a Keyless mode is measured against. */
const COUNTERPART: Record<VendingCheck, VendingCheck> = {
  strict: 'read-per-vend',
  feed: 'none',
  bounded: 'none',
  'read-per-vend': 'read-per-vend',
  none: 'none',
};

const CHECK_LABEL: Record<VendingCheck, string> = {
  strict: 'strict',
  feed: `feed ${FEED_INTERVAL_SECONDS}s`,
  bounded: `≤${STALENESS_SECONDS}s stale`,
  'read-per-vend': 'read/vend',
  none: 'none',
};

export interface VendingPlan {
  concurrencies: number[];
  /** Requests per run for the caching implementations, in simulated time. */
  requests: number;
  /**
   * Requests per run in real time: enough for several seconds per run, so start-up (the first
   * AssumeRole of each connection, the JIT) and a scheduler hiccup weigh little against steady state.
   */
  realTimeRequests: number;
  /** Requests per run for naive (one 30–80 ms AssumeRole each: 100,000 would take minutes). */
  naiveRequests: number;
  singleFlightRequests: number;
}

export const plan = (quick: boolean): VendingPlan =>
  quick
    ? {
        concurrencies: [16, 64, 256],
        requests: 5_000,
        realTimeRequests: 20_000,
        naiveRequests: 500,
        singleFlightRequests: 1_000,
      }
    : {
        concurrencies: [16, 64, 256],
        requests: 100_000,
        realTimeRequests: 1_000_000,
        naiveRequests: 5_000,
        singleFlightRequests: 1_000,
      };

const IMPLS: readonly VendingImpl[] = ['keyless', 'sdk-fromTemporaryCredentials', 'naive'];

function benchConnections(): BenchConnection[] {
  return Array.from({ length: CONNECTIONS }, (_, i) => {
    const accountId = String(210_000_000_000 + i);
    return {
      customerId: `bench-customer-${String(i).padStart(3, '0')}`,
      accountId,
      roleArn: `arn:aws:iam::${accountId}:role/KeylessAccess`,
      externalId: `keyless-bench-${i}-5f0c2a8e9d4b4c1f8a7e6d5c4b3a2918`,
    };
  });
}

/** Onboards every connection through the store, as the lifecycle does: setup, REGISTERED, ACTIVE. */
async function seed(client: DynamoDBDocumentClient, tableName: string, connections: BenchConnection[]) {
  const store = createConnectionStore({ client, tableName });
  const now = new Date();
  const expiresAt = new Date(now.getTime() + 7 * 86_400_000).toISOString();
  await Promise.all(
    connections.map(async (c) => {
      const setup = {
        customerId: c.customerId,
        setupId: `setup-${c.accountId}`,
        externalId: c.externalId,
        status: 'OPEN' as const,
        createdAt: now.toISOString(),
        expiresAt,
      };
      await store.putSetup(setup);
      const registered = await store.registerConnection({
        connection: {
          customerId: c.customerId,
          accountId: c.accountId,
          authMethod: 'ROLE',
          status: 'REGISTERED',
          version: 1,
          roleArn: c.roleArn,
          externalId: c.externalId,
          stackId: `arn:aws:cloudformation:us-east-1:${c.accountId}:stack/keyless/bench`,
          setupId: setup.setupId,
          createdAt: now.toISOString(),
          updatedAt: now.toISOString(),
        },
        setup,
        audit: { actor: 'registration-callback', reason: 'benchmark seed' },
      });
      await store.updateConnection({
        connection: registered,
        to: 'ACTIVE',
        set: { validatedAt: now.toISOString() },
        audit: { actor: 'role-validator', reason: 'benchmark seed' },
      });
    }),
  );
}

/** One line of progress on a terminal, overwritten by the next and cleared before the tables. */
function progress(line: string) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K  ${line}`);
}

const rotate = <T>(items: readonly T[], by: number): T[] =>
  items.map((_, i) => items[(i + by) % items.length] as T);

/** DynamoDB Local is a JVM: thousands of reads first, so the first measured run does not pay its JIT warm-up. */
async function warmUp(
  client: DynamoDBDocumentClient,
  tableName: string,
  connections: BenchConnection[],
  reads: number,
) {
  const store = createConnectionStore({ client, tableName });
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < reads) {
        const c = connections[next++ % connections.length] as BenchConnection;
        await store.getConnectionAccess(c.customerId, c.accountId);
      }
    }),
  );
}

/**
 * The most AssumeRole calls any one connection got within one credential lifetime (a sliding
 * window of one hour of simulated time). The acceptance bound is 1 per lifetime, and a refresh
 * inside the 5-minute buffer legitimately lands 55 minutes after the previous call, so the
 * window counts calls strictly less than `lifetime − buffer` apart.
 */
export function maxCallsPerLifetime(calls: readonly AssumeRoleCall[], windowMs: number): number {
  const byRole = new Map<string, number[]>();
  for (const call of calls) {
    const times = byRole.get(call.roleArn) ?? [];
    times.push(call.at);
    byRole.set(call.roleArn, times);
  }
  let worst = 0;
  for (const times of byRole.values()) {
    times.sort((a, b) => a - b);
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      while ((times[end] as number) - (times[start] as number) >= windowMs) start++;
      worst = Math.max(worst, end - start + 1);
    }
  }
  return worst;
}

interface Measured {
  row: VendingRow;
  statusReads: number;
  errors: number;
  firstError?: string;
  maxPerLifetime: number;
}

export async function runVending(
  { quick, verbose }: BenchOptions,
  parts: { load: boolean; singleFlight: boolean },
): Promise<{ rows: VendingRow[]; singleFlight: SingleFlightResult | undefined; report: string }> {
  const sizes = plan(quick);
  const table = await startBenchTable('keyless-bench-vending');
  const connections = benchConnections();
  try {
    await seed(table.documentClient, table.tableName, connections);
    const measure = async (
      input: Omit<
        VendingInput,
        | 'connections'
        | 'stsEndpoint'
        | 'dynamoEndpoint'
        | 'tableName'
        | 'simulatedSpanMs'
        | 'stalenessSeconds'
        | 'feedIntervalSeconds'
        | 'seed'
      >,
      timeBase: VendingRow['timeBase'] = 'simulated-2h',
    ): Promise<Measured> => {
      progress(
        `vending: ${input.impl} c${input.concurrency} ${input.check}` +
          `${input.mode === 'singleFlight' ? ' (single flight)' : ''}…`,
      );
      const sts = await startBenchSts(connections);
      try {
        const output = await runInChild<VendingInput, VendingOutput>(
          WORKER,
          {
            ...input,
            connections,
            stsEndpoint: sts.endpoint,
            dynamoEndpoint: table.endpoint,
            tableName: table.tableName,
            simulatedSpanMs: timeBase === 'real' ? 0 : SIMULATED_SPAN_MS,
            stalenessSeconds: STALENESS_SECONDS,
            feedIntervalSeconds: FEED_INTERVAL_SECONDS,
            seed: 8,
          },
          { env: { POWERTOOLS_LOG_LEVEL: 'INFO', AWS_REGION: 'us-east-1' }, quiet: !verbose },
        );
        return {
          row: {
            impl: input.impl,
            concurrency: input.concurrency,
            revocationCheck: input.check === 'strict' || input.check === 'read-per-vend',
            check: input.check,
            timeBase,
            readsPer1000Vends: round((output.statusReads / input.requests) * 1000),
            requests: input.requests,
            stsCalls: sts.calls.length,
            vendsPerSecond: round((input.requests / output.wallMs) * 1000),
            p50Ms: round(output.p50Ms),
            p99Ms: round(output.p99Ms),
            peakRssMb: output.peakRssMb,
          },
          statusReads: output.statusReads,
          errors: output.errors,
          ...(output.firstError ? { firstError: output.firstError } : {}),
          maxPerLifetime: maxCallsPerLifetime(sts.calls, CREDENTIAL_LIFETIME_MS - 300_000),
        };
      } finally {
        await sts.stop();
      }
    };

    await warmUp(table.documentClient, table.tableName, connections, quick ? 5_000 : 20_000);
    const measured: Measured[] = [];
    let turn = 0;
    // Who goes first rotates, so neither contender always meets a colder or warmer database.
    for (const group of parts.load ? GROUPS : [])
      for (const concurrency of sizes.concurrencies)
        for (const [impl, check] of rotate(group.contenders, turn++))
          measured.push(
            await measure(
              {
                mode: 'load',
                impl,
                concurrency,
                check,
                requests:
                  impl === 'naive'
                    ? sizes.naiveRequests
                    : group.timeBase === 'real'
                      ? sizes.realTimeRequests
                      : sizes.requests,
              },
              group.timeBase,
            ),
          );

    const order = GROUPS.flatMap((group) => group.contenders.map(([impl, check]) => `${impl}/${check}`));
    measured.sort(
      (a, b) =>
        GROUPS.findIndex((g) => g.timeBase === a.row.timeBase) -
          GROUPS.findIndex((g) => g.timeBase === b.row.timeBase) ||
        a.row.concurrency - b.row.concurrency ||
        order.indexOf(`${a.row.impl}/${a.row.check}`) - order.indexOf(`${b.row.impl}/${b.row.check}`),
    );

    const flights: Record<VendingImpl, number> = { keyless: 0, 'sdk-fromTemporaryCredentials': 0, naive: 0 };
    for (const impl of parts.singleFlight ? IMPLS : []) {
      const { row } = await measure({
        mode: 'singleFlight',
        impl,
        concurrency: sizes.singleFlightRequests,
        check: impl === 'keyless' ? 'strict' : 'read-per-vend',
        requests: sizes.singleFlightRequests,
      });
      flights[impl] = row.stsCalls;
    }
    const singleFlight = parts.singleFlight
      ? { concurrentRequests: sizes.singleFlightRequests, stsCalls: flights.keyless }
      : undefined;
    return {
      rows: measured.map((m) => m.row),
      singleFlight,
      report: report(measured, singleFlight && flights, sizes),
    };
  } finally {
    await table.stop();
  }
}

function report(
  measured: Measured[],
  flights: Record<VendingImpl, number> | undefined,
  sizes: VendingPlan,
): string {
  /** The SDK row a row is compared with: same concurrency, its counterpart check. */
  const sdkOf = (m: Measured) =>
    measured.find(
      (x) =>
        x.row.impl === 'sdk-fromTemporaryCredentials' &&
        x.row.concurrency === m.row.concurrency &&
        x.row.check === COUNTERPART[m.row.check],
    );
  const naiveOf = (m: Measured) =>
    measured.find((x) => x.row.impl === 'naive' && x.row.concurrency === m.row.concurrency);
  const columns: Column<Measured>[] = [
    { header: 'impl', value: (m) => m.row.impl },
    { header: 'conc', value: (m) => m.row.concurrency },
    { header: 'revocation', value: (m) => CHECK_LABEL[m.row.check] },
    { header: 'time', value: (m) => (m.row.timeBase === 'real' ? 'real' : 'sim 2h') },
    { header: 'requests', value: (m) => m.row.requests },
    { header: 'STS calls', value: (m) => m.row.stsCalls },
    { header: 'DDB reads', value: (m) => m.statusReads },
    { header: 'reads/1k', value: (m) => m.row.readsPer1000Vends },
    { header: 'max/lifetime', value: (m) => m.maxPerLifetime },
    { header: 'vends/s', value: (m) => m.row.vendsPerSecond },
    {
      header: 'vs SDK',
      value: (m) => {
        const sdk = sdkOf(m);
        return sdk ? ratio(m.row.vendsPerSecond, sdk.row.vendsPerSecond) : '';
      },
    },
    { header: 'p50 ms', value: (m) => m.row.p50Ms },
    { header: 'p99 ms', value: (m) => m.row.p99Ms },
    { header: 'peak RSS MB', value: (m) => m.row.peakRssMb },
    { header: 'errors', value: (m) => m.errors },
  ];
  const lines = [];
  if (measured.length)
    lines.push(
      formatTable(
        `Credential vending: ${CONNECTIONS} connections, Zipf s=1, STS 30–80 ms; "sim 2h": two simulated hours ` +
          `of credential lifetimes, "real": real time (naive: ${sizes.naiveRequests.toLocaleString('en-US')} requests per run)`,
        columns,
        measured,
      ),
    );
  for (const m of measured.filter((x) => x.firstError))
    lines.push(`  ${m.row.impl} c${m.row.concurrency}: first error ${m.firstError}`);
  const keylessRows = measured.filter((m) => m.row.impl === 'keyless');
  if (keylessRows.length) {
    const perRequest = (r: VendingRow) => r.stsCalls / r.requests;
    const headline = keylessRows.map((m) => {
      const sdk = sdkOf(m);
      const naive = naiveOf(m);
      const goal = sdk && m.row.vendsPerSecond >= sdk.row.vendsPerSecond ? 'goal met' : 'below the SDK';
      return (
        `  c${m.row.concurrency}, ${CHECK_LABEL[m.row.check]}: ` +
        `vends/s ${sdk ? ratio(m.row.vendsPerSecond, sdk.row.vendsPerSecond) : '?'} the SDK's (${COUNTERPART[m.row.check]}; ${goal}), ` +
        `${m.row.readsPer1000Vends} reads per 1,000 vends` +
        (m.row.timeBase === 'simulated-2h' && naive
          ? `, STS calls per request ${ratio(perRequest(m.row), perRequest(naive.row))} naive's, ` +
            `at most ${m.maxPerLifetime} AssumeRole per connection per credential lifetime`
          : '')
      );
    });
    lines.push('Keyless headline (ratios against baselines of this run):', ...headline);
  }
  if (flights) {
    lines.push(
      `\nSingle flight: ${sizes.singleFlightRequests.toLocaleString('en-US')} concurrent first requests for one connection → ` +
        `Keyless ${flights.keyless} STS call(s) (goal: 1; ${ratio(flights.keyless, flights.naive)} naive's ${flights.naive}); ` +
        `SDK provider ${flights['sdk-fromTemporaryCredentials']}.`,
    );
  }
  return lines.join('\n');
}
