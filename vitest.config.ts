import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the `keyless-source` export condition).
  ssr: { resolve: { conditions: ['keyless-source', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // One DynamoDB Local per run; each test file creates its own table.
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2 cores: keep the worker pool small so DynamoDB Local (a JVM) keeps a core.
    maxWorkers: 2,
    restoreMocks: true,
    unstubEnvs: true,
  },
});
