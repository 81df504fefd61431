#!/usr/bin/env node
/**
 * The `keyless` executable (package.json "bin"): runs the TypeScript CLI, keyless.ts, through tsx
 * as the npm scripts do, on Node 22 (npx and npm run put the node@22 devDependency first on PATH).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (Number(process.versions.node.split('.')[0]) < 22) {
  process.stderr.write('Keyless needs Node 22 (the node@22 devDependency): run it through npx or npm run.\n');
  process.exit(1);
}
const program = fileURLToPath(new URL('./keyless.ts', import.meta.url));
const child = spawn(
  process.execPath,
  [...process.execArgv, '--import', import.meta.resolve('tsx'), program, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
// Ctrl-C reaches the CLI itself (it stops the local system cleanly); this process waits for it.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
