/**
 * The local system in this process, with the stand-in functions of ./fixtures/functions, on the
 * run's DynamoDB Local with a table of its own. Starting it sets AWS_* variables for the SDK
 * clients; stopping it restores the environment as it was.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { type LocalSystem, startLocalSystem } from '#local/emulator/system.ts';

export async function startFixtureSystem(): Promise<LocalSystem> {
  const savedEnv = { ...process.env };
  const system = await startLocalSystem({
    port: 0,
    dataDir: null,
    dynamoDbEndpoint: inject('dynamoEndpoint'),
    tableName: `keyless-local-${randomUUID()}`,
    functionsDir: fileURLToPath(new URL('./fixtures/functions', import.meta.url)),
    schedules: false,
  });
  return {
    ...system,
    async stop() {
      await system.stop();
      process.env = savedEnv;
    },
  };
}
