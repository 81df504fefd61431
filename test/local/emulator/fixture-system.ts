/**
 * The local system in this process, with the stand-in functions of ./fixtures/functions, on the
 * run's DynamoDB Local with a table of its own. Starting it sets AWS_* variables for the SDK
 * clients; stopping it restores the environment as it was.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type LocalSystem, startLocalSystem } from '#local/emulator/system.ts';
import { FIXTURE_HANDLERS } from './fixtures/handlers.ts';

export async function startFixtureSystem(): Promise<LocalSystem> {
  const savedEnv = { ...process.env };
  const system = await startLocalSystem({
    port: 0,
    dataDir: null,
    dynamoDbEndpoint: inject('dynamoEndpoint'),
    tableName: `keyless-local-${randomUUID()}`,
    handlers: FIXTURE_HANDLERS,
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
