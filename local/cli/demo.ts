/**
 * `npm run demo`: the whole Keyless story against a fresh local system, told as it happens, with
 * timings. Exits 0 only when every step turned out as told:
 *
 * 1. two customers onboard: acme's role is healthy; globex's trust policy lacks the External ID
 *    condition, so the validator rejects it and globex's stack rolls back with that reason;
 * 2. a worker gets credentials for acme twice; the second vend comes from the broker's cache;
 * 3. acme deletes its stack: the connection is REVOKED and the broker refuses;
 * 4. initech, on access keys for 120 days, is still served from Secrets Manager and gets a
 *    migration reminder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const verbose = process.argv.includes('--verbose');
process.env.KEYLESS_LOG_FORMAT ??= 'pretty';
process.env.POWERTOOLS_LOG_LEVEL ??= verbose ? 'INFO' : 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
const { createDocumentClient } = await import('#shared/clients/dynamodb.ts');
const { registerLegacyConnection } = await import('#shared/legacy/register-legacy-connection.ts');
const { createConnectionStore } = await import('#shared/store/connection-store.ts');
const { FUNCTION_NAMES } = await import('#shared/wiring/function-catalogue.ts');
const { createSimulatedAccounts } = await import('../emulator/simulated-stack.ts');
const { startLocalSystem } = await import('../emulator/system.ts');

const colour = process.stdout.isTTY && process.env.NO_COLOR === undefined;
const paint = (code: string, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
const started = performance.now();
const stamp = () => paint('90', `[${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s]`);
const say = (text: string) => console.log(`${stamp()} ${text}`);
const ok = (text: string) => say(`${paint('32', '✔')} ${text}`);
const heading = (text: string) => console.log(`\n${paint('1', text)}`);

class DemoFailure extends Error {}
function expectThat(condition: boolean, what: string): asserts condition {
  if (!condition) throw new DemoFailure(what);
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, Math.round(performance.now() - start)];
}

const ACME = { customerId: 'acme', accountId: '111122223333' };
const GLOBEX = { customerId: 'globex', accountId: '444455556666' };
const INITECH = { customerId: 'initech', accountId: '777788889999' };
const credentials = { accessKeyId: 'AKIAKEYLESSDEMO00000', secretAccessKey: 'demo' };

heading('Keyless, the whole story on one machine');
const stateDir = mkdtempSync(join(tmpdir(), 'keyless-demo-'));
const { loadProviderConfig } = await import('#shared/provider-config/load.ts');
const provider = loadProviderConfig();
const [system, startMs] = await timed(() =>
  startLocalSystem({ port: 0, dataDir: null, schedules: false, provider }),
);
const info = system.info();
say(
  `local system up at ${info.endpoint} in ${startMs} ms (DynamoDB Local, ${info.functions.length} functions, bus ${info.eventBus})`,
);

const region = info.region;
const lambda = new LambdaClient({ endpoint: info.endpoint, region, credentials });
const accounts = createSimulatedAccounts({ endpoint: info.endpoint, stateDir, region });

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${info.endpoint}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const json = (await response.json()) as T;
  expectThat(response.ok, `${method} ${path} answered HTTP ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

type Connection = { accountId: string; status: string; lastError?: string };
async function connection(customer: typeof ACME): Promise<Connection | undefined> {
  const { connections } = await api<{ connections: Connection[] }>(
    'GET',
    `/customers/${customer.customerId}/connections`,
  );
  return connections.find((c) => c.accountId === customer.accountId);
}

async function worker(customer: typeof ACME) {
  const result = await lambda.send(
    new InvokeCommand({ FunctionName: 'example-worker', Payload: JSON.stringify(customer) }),
  );
  const payload = JSON.parse(Buffer.from(result.Payload ?? []).toString()) as Record<string, string>;
  expectThat(!result.FunctionError, `example-worker failed: ${JSON.stringify(payload)}`);
  return payload;
}

const stats = () =>
  api<{ assumeRole: Record<string, { granted: number; denied: number }>; events: Record<string, number> }>(
    'GET',
    '/_local/stats',
  );

async function onboard(customer: typeof ACME, tamper?: 'no-external-id') {
  const offer = await api<{ launchUrl: string; externalId: string }>('POST', '/setups', {
    customerId: customer.customerId,
  });
  say(`${customer.customerId}: setup created, External ID ${offer.externalId.slice(0, 20)}…`);
  const [outcome, ms] = await timed(() =>
    accounts.deploy({ launchUrl: offer.launchUrl, accountId: customer.accountId, tamper }),
  );
  return { outcome, ms };
}

try {
  const missing = FUNCTION_NAMES.filter((name) => !info.functions.includes(name));
  expectThat(missing.length === 0, `functions not built yet: ${missing.join(', ')}`);

  heading('1. Two customers onboard');
  const acme = await onboard(ACME);
  expectThat(
    acme.outcome.status === 'CREATE_COMPLETE',
    `acme's stack: ${acme.outcome.status} ${acme.outcome.reason ?? ''}`,
  );
  const acmeConnection = await connection(ACME);
  expectThat(acmeConnection?.status === 'ACTIVE', `acme's connection is ${acmeConnection?.status}`);
  const proof = (await stats()).assumeRole[acme.outcome.stack?.roleArn ?? ''];
  expectThat(
    (proof?.granted ?? 0) >= 1 && (proof?.denied ?? 0) >= 1,
    `the validator's proof of acme's role: ${JSON.stringify(proof)}`,
  );
  ok(
    `acme: stack CREATE_COMPLETE in ${acme.ms} ms; role proven (assumable with the External ID, not without) → ACTIVE`,
  );

  const globex = await onboard(GLOBEX, 'no-external-id');
  expectThat(globex.outcome.status === 'CREATE_FAILED', `globex's stack: ${globex.outcome.status}`);
  expectThat(
    /without the External ID/.test(globex.outcome.reason ?? ''),
    `globex's reason: ${globex.outcome.reason}`,
  );
  const globexConnection = await connection(GLOBEX);
  expectThat(globexConnection?.status === 'FAILED', `globex's connection is ${globexConnection?.status}`);
  ok(
    `globex: trust policy without the External ID condition → CREATE_FAILED in ${globex.ms} ms, rolled back`,
  );
  say(`   reason shown in globex's console: "${globex.outcome.reason}"`);

  heading('2. A worker reaches acme twice');
  const roleArn = acme.outcome.stack?.roleArn ?? '';
  const callsBefore = (await stats()).assumeRole[roleArn]?.granted ?? 0;
  const [first, firstMs] = await timed(() => worker(ACME));
  expectThat(
    first.status === 'done' && first.account === ACME.accountId,
    `first vend: ${JSON.stringify(first)}`,
  );
  ok(`first vend in ${firstMs} ms: ${first.arn}`);
  const [second, secondMs] = await timed(() => worker(ACME));
  expectThat(second.status === 'done', `second vend: ${JSON.stringify(second)}`);
  const calls = ((await stats()).assumeRole[roleArn]?.granted ?? 0) - callsBefore;
  expectThat(calls === 1, `expected one AssumeRole for two vends, saw ${calls}`);
  ok(`second vend in ${secondMs} ms from the broker's cache (STS AssumeRole calls for both: ${calls})`);

  heading('3. acme deletes its stack');
  const [deleted, deleteMs] = await timed(() =>
    accounts.remove({ accountId: ACME.accountId, stackName: acme.outcome.stack?.stackName ?? '' }),
  );
  expectThat(
    deleted.status === 'DELETE_COMPLETE',
    `acme's delete: ${deleted.status} ${deleted.reason ?? ''}`,
  );
  await system.idle();
  const revoked = await connection(ACME);
  expectThat(revoked?.status === 'REVOKED', `acme's connection is ${revoked?.status}`);
  ok(`stack DELETE_COMPLETE in ${deleteMs} ms → connection REVOKED`);
  const refused = await worker(ACME);
  expectThat(refused.status === 'skipped', `the worker was not refused: ${JSON.stringify(refused)}`);
  ok(`the broker refuses acme now: ${refused.reason}`);

  heading('4. A customer still on access keys');
  const createdAt = new Date(Date.now() - 120 * 86_400_000).toISOString();
  await registerLegacyConnection(
    {
      ...INITECH,
      keys: { accessKeyId: 'AKIAINITECHDEMO00000', secretAccessKey: 'demo-secret-not-a-real-key' },
      createdAt,
    },
    {
      store: createConnectionStore({
        client: createDocumentClient(new DynamoDBClient({ endpoint: info.endpoint, region, credentials })),
        tableName: info.table,
      }),
      secretsManager: new SecretsManagerClient({ endpoint: info.endpoint, region, credentials }),
    },
  );
  say(`initech: on access keys since ${createdAt.slice(0, 10)} (120 days; keys in Secrets Manager)`);
  const legacy = await worker(INITECH);
  expectThat(
    legacy.status === 'done' && legacy.account === INITECH.accountId,
    `initech's worker: ${JSON.stringify(legacy)}`,
  );
  ok(`a worker still reaches initech with its access keys (the deprecated path): ${legacy.arn}`);
  const remindersBefore = (await stats()).events['Migration Reminder Due'] ?? 0;
  const scheduled = system.eventBus.scheduledEvent({
    id: 'migration-reminder-daily',
    description: '',
    target: 'migration-reminder',
  });
  const [reminder, reminderMs] = await timed(async () => {
    const result = await lambda.send(
      new InvokeCommand({ FunctionName: 'migration-reminder', Payload: JSON.stringify(scheduled) }),
    );
    return JSON.parse(Buffer.from(result.Payload ?? []).toString()) as {
      reminded?: number;
      scanned?: number;
    };
  });
  const reminders = ((await stats()).events['Migration Reminder Due'] ?? 0) - remindersBefore;
  expectThat(
    reminder.reminded === 1 && reminders === 1,
    `reminder run: ${JSON.stringify(reminder)}, events ${reminders}`,
  );
  ok(
    `daily reminder job in ${reminderMs} ms: read ${reminder.scanned} legacy connection(s), 1 "Migration Reminder Due" event`,
  );

  heading(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s: every step happened as told.`);
  process.exitCode = 0;
} catch (error) {
  console.error(
    `\n${paint('31', '✘ The demo stopped:')} ${error instanceof Error ? error.message : String(error)}`,
  );
  if (!(error instanceof DemoFailure) && error instanceof Error) console.error(error.stack);
  process.exitCode = 1;
} finally {
  await system.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);
