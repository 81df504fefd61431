/**
 * Revocation without a read per vend (issue 17): what each broker mode reads, how soon every
 * instance sees a revocation, and what 1,000,000 worker AWS calls cost.
 *
 * - Reads per instance-minute: one broker, 200 vends/s drawn Zipf (s = 1) over a working set of
 *   10, 1,000 or 10,000 connections, four minutes on the broker's own clock; the status reader and
 *   the feed are counted in-process stand-ins (what is measured is how often the broker asks).
 * - Visibility: several broker processes vend one connection every 5 ms from DynamoDB Local; the
 *   REVOKED write goes through the store (with its feed append); each process reports its first
 *   refusal, measured from the start of that write.
 * - Cost: the vending rows of the same run (c64) priced at published on-demand rates.
 */
import { createConsoleLogger, createCredentialBroker, type RevocationCheck } from '@keyless/broker';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { runInChild } from '../harness/child.ts';
import { startBenchTable } from '../harness/dynamodb.ts';
import type { BenchOptions } from '../harness/options.ts';
import { zipfSequence } from '../harness/random.ts';
import type {
  BenchResults,
  RevocationReadsRow,
  RevocationVisibilityRow,
  VendingRow,
} from '../harness/results.ts';
import { median, round } from '../harness/stats.ts';
import { type Column, formatTable } from '../harness/table.ts';
import type { VisibilityInput, VisibilityOutput } from './revocation-worker.ts';

const WORKER = new URL('./revocation-worker.ts', import.meta.url);
/** US East (N. Virginia) on-demand read request unit price, USD per million (see BENCHMARKS.md). */
export const USD_PER_MILLION_READS = 0.125;
const VENDS_PER_SECOND = 200;

/** Reads of one broker over `minutes` simulated minutes: the first minute, and the mean of the others. */
async function readsPerMinute(mode: 'strict' | 'feed', connections: number, minutes: number) {
  let now = Date.parse('2026-06-01T00:00:00Z');
  let reads = 0;
  const access = (customerId: string, accountId: string) => ({
    customerId,
    accountId,
    status: 'ACTIVE' as const,
    authMethod: 'ROLE' as const,
    roleArn: `arn:aws:iam::${accountId}:role/KeylessAccess`,
    externalId: 'keyless-bench-external-id',
    version: 2,
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  const revocation: RevocationCheck =
    mode === 'feed'
      ? {
          mode: 'feed',
          intervalSeconds: 1,
          feed: {
            readHead: async () => {
              reads++;
              return { sequence: 0 };
            },
            readEntriesSince: async () => [],
          },
        }
      : { mode: 'strict' };
  const broker = createCredentialBroker({
    store: {
      getConnectionAccess: async (customerId, accountId) => {
        reads++;
        return access(customerId, accountId);
      },
    },
    sts: {
      send: async () => ({
        $metadata: {},
        Credentials: {
          AccessKeyId: 'ASIAREADSPERMINUTE01',
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date(now + 3_600_000),
        },
      }),
    },
    legacyKeys: { read: () => Promise.reject(new Error('none')) },
    serviceName: 'bench',
    sourceIdentity: 'bench-worker',
    logger: createConsoleLogger('bench', 'SILENT'),
    revocation,
    // The working set fits: an LRU smaller than it would re-read what it evicted.
    maxCachedSessions: connections * 2,
    clock: () => now,
  });
  const vends = VENDS_PER_SECOND * 60 * minutes;
  const sequence = zipfSequence({ n: connections, count: vends, seed: 17 });
  const providers = new Map<number, () => Promise<unknown>>();
  const perMinute: number[] = [];
  let minuteStart = reads;
  for (let i = 0; i < vends; i++) {
    now += 1000 / VENDS_PER_SECOND;
    const index = sequence[i] as number;
    let provider = providers.get(index);
    if (!provider) {
      provider = broker.credentialsFor({
        customerId: `reads-${index}`,
        accountId: String(300_000_000_000 + index),
      });
      providers.set(index, provider);
    }
    await provider();
    if ((i + 1) % (VENDS_PER_SECOND * 60) === 0) {
      perMinute.push(reads - minuteStart);
      minuteStart = reads;
    }
  }
  const [first = 0, ...rest] = perMinute;
  return {
    mode,
    connections,
    vendsPerMinute: VENDS_PER_SECOND * 60,
    firstMinuteReads: first,
    steadyReadsPerMinute: round(rest.reduce((sum, n) => sum + n, 0) / Math.max(1, rest.length)),
  } satisfies RevocationReadsRow;
}

async function visibility(processes: number, verbose: boolean): Promise<RevocationVisibilityRow[]> {
  const table = await startBenchTable('keyless-bench-revocation');
  const store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
  const modes: { mode: RevocationVisibilityRow['mode']; boundSeconds: number }[] = [
    { mode: 'strict', boundSeconds: 0 },
    { mode: 'feed', boundSeconds: 1 },
    // 300 s would make the run five minutes long; the mechanism is the same at any bound.
    { mode: 'bounded', boundSeconds: 10 },
  ];
  const rows: RevocationVisibilityRow[] = [];
  try {
    for (const [i, { mode, boundSeconds }] of modes.entries()) {
      const customerId = `visibility-${mode}`;
      const accountId = String(400_000_000_000 + i);
      const now = new Date().toISOString();
      const setup = await store.putSetup({
        customerId,
        setupId: `setup-${accountId}`,
        externalId: `keyless-visibility-${i}-0000000000000000`,
        status: 'OPEN',
        createdAt: now,
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      });
      const registered = await store.registerConnection({
        connection: {
          customerId,
          accountId,
          authMethod: 'ROLE',
          status: 'REGISTERED',
          version: 1,
          roleArn: `arn:aws:iam::${accountId}:role/KeylessAccess`,
          externalId: setup.externalId,
          stackId: `arn:aws:cloudformation:us-east-1:${accountId}:stack/keyless/visibility`,
          setupId: setup.setupId,
          createdAt: now,
          updatedAt: now,
        },
        setup,
        audit: { actor: 'registration-callback', reason: 'benchmark seed' },
      });
      const connection = await store.updateConnection({
        connection: registered,
        to: 'ACTIVE',
        audit: { actor: 'role-validator', reason: 'benchmark seed' },
      });
      const input: VisibilityInput = {
        mode,
        boundSeconds,
        dynamoEndpoint: table.endpoint,
        tableName: table.tableName,
        customerId,
        accountId,
        giveUpAt: Date.now() + 3_000 + boundSeconds * 2_000 + 5_000,
      };
      const running = Array.from({ length: processes }, () =>
        runInChild<VisibilityInput, VisibilityOutput>(WORKER, input, { quiet: !verbose }),
      );
      // Every process is vending (and has read the status) before the revocation.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const writtenAt = Date.now();
      await store.updateConnection({
        connection,
        to: 'REVOKED',
        set: { revokedAt: new Date().toISOString() },
        audit: { actor: 'api', reason: 'benchmark revocation' },
      });
      const outputs = await Promise.all(running);
      const delays = outputs.map((o) =>
        o.refusedAt === null ? Number.POSITIVE_INFINITY : o.refusedAt - writtenAt,
      );
      rows.push({
        mode,
        boundSeconds,
        processes,
        p50Ms: round(median(delays)),
        maxMs: round(Math.max(...delays)),
      });
    }
  } finally {
    await table.stop();
  }
  return rows;
}

/** 1,000,000 worker AWS calls, priced from the vending rows of this run at concurrency 64. */
function costTable(vending: readonly VendingRow[]): string {
  const rows = vending.filter((r) => r.impl !== 'naive' && r.concurrency === 64);
  if (rows.length === 0) return '  (no vending rows at c64 in this run: cost table skipped)';
  const calls = 1_000_000;
  const columns: Column<VendingRow>[] = [
    { header: 'impl', value: (r) => r.impl },
    { header: 'revocation', value: (r) => r.check },
    { header: 'DDB reads', value: (r) => Math.round((r.readsPer1000Vends * calls) / 1000) },
    { header: 'STS calls', value: (r) => Math.round((r.stsCalls / r.requests) * calls) },
    {
      header: 'USD (reads)',
      value: (r) => ((r.readsPer1000Vends * calls) / 1000 / 1_000_000) * USD_PER_MILLION_READS,
    },
    { header: 'USD (STS)', value: () => 0 },
    { header: 'p50 ms/call', value: (r) => r.p50Ms },
    { header: 'p99 ms/call', value: (r) => r.p99Ms },
  ];
  return formatTable(
    `Cost of 1,000,000 worker AWS calls (c64 rows of this run; reads at $${USD_PER_MILLION_READS}/million, STS free)`,
    columns,
    rows,
  );
}

export async function runRevocation(
  { quick, verbose }: BenchOptions,
  results: BenchResults,
): Promise<{ reads: RevocationReadsRow[]; visibility: RevocationVisibilityRow[]; report: string }> {
  const minutes = quick ? 2 : 4;
  const reads: RevocationReadsRow[] = [];
  for (const connections of [10, 1_000, 10_000])
    for (const mode of ['strict', 'feed'] as const)
      reads.push(await readsPerMinute(mode, connections, minutes));
  const processes = quick ? 2 : 4;
  const visible = await visibility(processes, verbose);
  const readColumns: Column<RevocationReadsRow>[] = [
    { header: 'mode', value: (r) => r.mode },
    { header: 'connections', value: (r) => r.connections },
    { header: 'vends/min', value: (r) => r.vendsPerMinute },
    { header: 'reads, 1st min', value: (r) => r.firstMinuteReads },
    { header: 'reads/min after', value: (r) => r.steadyReadsPerMinute },
  ];
  const visibilityColumns: Column<RevocationVisibilityRow>[] = [
    { header: 'mode', value: (r) => r.mode },
    { header: 'bound s', value: (r) => r.boundSeconds },
    { header: 'processes', value: (r) => r.processes },
    { header: 'p50 ms', value: (r) => r.p50Ms },
    { header: 'max ms', value: (r) => r.maxMs },
  ];
  const report = [
    formatTable(
      `Status reads per broker instance-minute (${VENDS_PER_SECOND} vends/s, Zipf s=1, ${minutes} minutes)`,
      readColumns,
      reads,
    ),
    formatTable(
      'Revocation visibility: from the REVOKED write to the first refused vend, per broker process',
      visibilityColumns,
      visible,
    ),
    costTable(results.vending),
  ].join('\n');
  return { reads, visibility: visible, report };
}
