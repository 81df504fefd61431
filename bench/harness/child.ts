/**
 * Runs one measurement in a fresh Node process, so its peak RSS, module cache, caches and
 * simulated clock belong to it alone. The child is TypeScript run by Node's own type transform
 * (the same Node binary as the parent); input and output travel over the IPC channel.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Node's type transform, and the workspace packages' TypeScript sources (their `keyless-source` export). */
export const TS_EXEC_ARGV = [
  '--experimental-transform-types',
  '--disable-warning=ExperimentalWarning',
  '--conditions=keyless-source',
];

export function runInChild<Input, Output>(
  script: URL,
  input: Input,
  {
    env = {},
    quiet = false,
    timeoutMs = 900_000,
  }: {
    env?: Record<string, string>;
    /** Sends what the child logs (the handlers' Powertools lines) to /dev/null; errors still come back. */
    quiet?: boolean;
    timeoutMs?: number;
  } = {},
): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(script), [], {
      execArgv: TS_EXEC_ARGV,
      env: { ...process.env, ...env },
      stdio: quiet ? ['ignore', 'ignore', 'ignore', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let output: { ok: true; value: Output } | { ok: false; error: string } | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('message', (message) => {
      output = message as typeof output;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (output?.ok) resolve(output.value);
      else
        reject(
          new Error(
            `${fileURLToPath(script)} failed${signal ? ` (${signal})` : ` (exit ${code})`}: ${output && !output.ok ? output.error : 'no result'}`,
          ),
        );
    });
    child.send(input as object);
  });
}

/** The child's side: receives its input, runs, sends the result (or the error) and exits. */
export function serveChild<Input, Output>(run: (input: Input) => Promise<Output>): void {
  process.once('message', (input) => {
    run(input as Input).then(
      (value) => process.send?.({ ok: true, value }, () => process.exit(0)),
      (error: unknown) =>
        process.send?.(
          { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
          () => process.exit(1),
        ),
    );
  });
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}
