/**
 * Starts the whole local system (`npm start`) as a child process on a free port, in memory, on the
 * test run's DynamoDB Local with a table of its own, and stops it again. Tests then reach it only
 * through its endpoint, as any AWS SDK would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { runKeyless } from '#local/cli/keyless.ts';
import type { LocalInfo } from '#local/emulator/system.ts';

export interface RunningLocalSystem {
  info: LocalInfo;
  endpoint: string;
  /** Everything the system printed, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

export interface LocalSystemProcessOptions {
  timeoutMs?: number;
  /** Extra environment (KEYLESS_CONFIG, CI…). */
  env?: Record<string, string>;
  /** Keep roles, secrets and published templates here between runs (default: in memory). */
  dataDir?: string;
  /** The table to use: the same one again is a restart of the same system. */
  tableName?: string;
}

export async function startLocalSystemProcess({
  timeoutMs = 60_000,
  env: extraEnv = {},
  dataDir,
  tableName = `keyless-e2e-${randomUUID()}`,
}: LocalSystemProcessOptions = {}): Promise<RunningLocalSystem> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KEYLESS_READY_LINE: '1',
    KEYLESS_LOG_FORMAT: 'pretty',
    NO_COLOR: '1',
    ...extraEnv,
  };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete env[name];
  env.POWERTOOLS_LOG_LEVEL = process.env.KEYLESS_E2E_LOG_LEVEL ?? 'WARN';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      tsxCli,
      'local/cli/start.ts',
      '--port',
      '0',
      ...(dataDir ? ['--data-dir', dataDir] : ['--in-memory']),
      '--no-schedules',
      '--dynamodb-endpoint',
      inject('dynamoEndpoint'),
      '--table-name',
      tableName,
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const info = await new Promise<LocalInfo>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The local system did not start in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((candidate) => candidate.startsWith('KEYLESS_READY '));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('KEYLESS_READY '.length)) as LocalInfo);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The local system exited (code ${code}) before it was ready:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    info,
    endpoint: info.endpoint,
    output: () => output,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * `npm run -s <script> -- <args>` against a running local system, as the README gives the command:
 * its exit code and everything it printed.
 */
export function npmRunAgainst(
  endpoint: string,
  script: string,
  args: readonly string[],
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', script, '--', ...args], {
      cwd: root,
      env: { ...process.env, KEYLESS_ENDPOINT: endpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** A JSON call to a running local system's setup API (no signing: the local API needs none). */
export async function callLocalApi<T>(
  endpoint: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/**
 * `npm run customer -- <args> --state-dir <dir>`, in-process, against a running local system: its
 * exit code, what it printed, and all of it with the system's own output (for failure messages).
 */
export async function runCustomerCli(
  system: RunningLocalSystem,
  stateDir: string,
  args: readonly string[],
): Promise<{ code: number | 'running'; out: string; err: string; all: string }> {
  let out = '';
  let err = '';
  const code = await runKeyless(['customer', ...args, '--state-dir', stateDir], {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    env: { KEYLESS_ENDPOINT: system.endpoint },
    readStdin: async () => '',
  });
  return { code, out, err, all: `${out}${err}\n${system.output()}` };
}

/** `read()` once `done` holds of it (an event-driven change lands a moment later), or at the deadline. */
export async function readUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await read();
    if (done(current) || Date.now() > deadline) return current;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
