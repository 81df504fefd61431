/**
 * `npm run test:unit`: every test that needs no DynamoDB Local (no JVM), for a fast inner loop.
 * A test file needs it when it, or a test module it imports (followed transitively), reaches the
 * run's DynamoDB Local (`inject('dynamoEndpoint')`); those run in `npm test` only. A file misjudged
 * here fails loudly (the endpoint is not provided), never silently.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { defineConfig } from 'vitest/config';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
const testFiles = files('test');
const source = new Map(testFiles.map((file) => [file, readFileSync(file, 'utf8')]));

/** The test modules a file imports (relative or through the #test/ alias). */
function testImports(file: string): string[] {
  const specifiers = [...(source.get(file) ?? '').matchAll(/from '([^']+)'|import\('([^']+)'\)/g)].map(
    (match) => match[1] ?? match[2] ?? '',
  );
  return specifiers.flatMap((specifier) => {
    if (specifier.startsWith('#test/')) return [normalize(join('test', specifier.slice('#test/'.length)))];
    if (specifier.startsWith('.')) return [normalize(join(dirname(file), specifier))];
    return [];
  });
}

const verdicts = new Map<string, boolean>();
function needsDynamoDb(file: string, seen = new Set<string>()): boolean {
  const known = verdicts.get(file);
  if (known !== undefined) return known;
  if (seen.has(file)) return false;
  seen.add(file);
  const verdict =
    (source.get(file) ?? '').includes("inject('dynamoEndpoint')") ||
    testImports(file).some((imported) => source.has(imported) && needsDynamoDb(imported, seen));
  verdicts.set(file, verdict);
  return verdict;
}

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the `keyless-source` export condition).
  ssr: { resolve: { conditions: ['keyless-source', 'node', 'development|production'] } },
  test: {
    include: testFiles.filter((file) => file.endsWith('.test.ts') && !needsDynamoDb(file)),
    setupFiles: ['test/setup-unit.ts'],
    // One worker per core, reused across files: the per-file start-up is most of a unit file's time.
    isolate: false,
    testTimeout: 30_000,
    maxWorkers: 2,
    restoreMocks: true,
    unstubEnvs: true,
  },
});
