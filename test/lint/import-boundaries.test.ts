/**
 * The import boundaries of docs/architecture.md §2 are the linter's, not a convention: the
 * project's own Biome configuration, applied to a module placed in shared/, refuses an import of
 * the local runtime and of the IAM policy engine (and passes a module that imports neither).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
const workspace = mkdtempSync(join(tmpdir(), 'keyless-lint-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

/** Lints `source` as the file `path` of a project with this repository's biome.json. */
function lintAs(path: string, source: string): { ok: boolean; output: string } {
  copyFileSync(join(root, 'biome.json'), join(workspace, 'biome.json'));
  mkdirSync(join(workspace, path, '..'), { recursive: true });
  writeFileSync(join(workspace, path), source);
  try {
    const output = execFileSync(
      process.execPath,
      [biome, 'lint', '--vcs-enabled=false', '--colors=off', path],
      {
        cwd: workspace,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return { ok: true, output };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('import boundaries', () => {
  it('refuses a shared/ module that imports the local runtime or the IAM policy engine', () => {
    const fixture = readFileSync(join(root, 'test/lint/fixtures/shared-imports-local-runtime.ts'), 'utf8');
    const result = lintAs('shared/onboarding/boundary-probe.ts', fixture);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('lint/style/noRestrictedImports');
    expect(result.output).toMatch(/never import the local runtime/);
    expect(result.output).toMatch(/IAM policy engine is AGPL/);
  });

  it('refuses a local runtime module other than the function table that imports functions/', () => {
    const source =
      "import { createSetupApiHandler } from '#functions/setup-api/factory.ts';\n\nexport const f = createSetupApiHandler;\n";
    expect(lintAs('local/emulator/boundary-probe.ts', source)).toMatchObject({ ok: false });
    expect(lintAs('local/emulator/function-table.ts', source)).toMatchObject({ ok: true });
  });

  it('passes the same module once it imports only shared code', () => {
    const source =
      "import { ACCOUNT_ID_PATTERN } from '#shared/domain/identifiers.ts';\n\nexport const pattern = ACCOUNT_ID_PATTERN;\n";
    expect(lintAs('shared/onboarding/boundary-probe.ts', source)).toMatchObject({ ok: true });
  });
});
