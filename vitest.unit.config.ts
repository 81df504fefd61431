/**
 * `npm run test:unit`: every test that needs no DynamoDB Local (no JVM), for a fast inner loop.
 * A test file needs it when it, or a test support module it imports, reaches the run's DynamoDB
 * Local (`inject('dynamoEndpoint')`); those run in `npm test` only. A file misjudged here fails
 * loudly (the endpoint is not provided), never silently.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { defineConfig } from 'vitest/config';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
const all = files('test');
const reachesDynamoDb = new Set(
  all.filter(
    (file) => !file.endsWith('.test.ts') && readFileSync(file, 'utf8').includes("inject('dynamoEndpoint')"),
  ),
);
// Support modules that import one of those reach it too (one level is all the suite has).
for (const file of all.filter((f) => !f.endsWith('.test.ts'))) {
  const source = readFileSync(file, 'utf8');
  if ([...reachesDynamoDb].some((db) => source.includes(`/${basename(db)}'`))) reachesDynamoDb.add(file);
}
const needsDynamoDb = (file: string) => {
  const source = readFileSync(file, 'utf8');
  return (
    source.includes("inject('dynamoEndpoint')") ||
    [...reachesDynamoDb].some((db) => source.includes(`/${basename(db)}'`))
  );
};

export default defineConfig({
  test: {
    include: all.filter((file) => file.endsWith('.test.ts') && !needsDynamoDb(file)),
    setupFiles: ['test/setup-unit.ts'],
    testTimeout: 30_000,
    maxWorkers: 2,
    restoreMocks: true,
    unstubEnvs: true,
  },
});
