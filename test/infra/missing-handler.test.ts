import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MissingHandlerError, REPOSITORY_ROOT } from '#infra/constructs/keyless-function.ts';
import { FUNCTION_NAMES } from '#shared/wiring/function-catalogue.ts';
import { buildTestApp } from './support.ts';

const MISSING = 'role-validator';

/** A functions folder with a stub handler for every catalogue entry but `missing`. */
function functionsRootWithout(missing: string): string {
  // Under the project root, as support.ts's stub folder, so only the missing handler can fail the build.
  const cache = path.join(REPOSITORY_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const root = mkdtempSync(path.join(cache, 'keyless-functions-missing-'));
  for (const name of FUNCTION_NAMES.filter((name) => name !== missing)) {
    mkdirSync(path.join(root, name));
    writeFileSync(path.join(root, name, 'handler.ts'), 'export const handler = async () => ({});\n');
  }
  return root;
}

const functionsRoot = functionsRootWithout(MISSING);
afterAll(() => rmSync(functionsRoot, { recursive: true, force: true }));

describe('a catalogued function without its handler file', () => {
  it('fails the synth with an error naming the function and the missing file', () => {
    const missingFile = path.relative(REPOSITORY_ROOT, path.join(functionsRoot, MISSING, 'handler.ts'));

    const build = () => buildTestApp({ functionsRoot });

    expect(build).toThrow(MissingHandlerError);
    expect(build).toThrow(
      `Function "${MISSING}" is in the function catalogue but its handler file ${missingFile} is missing`,
    );
  });
});
