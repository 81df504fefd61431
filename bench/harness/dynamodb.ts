/** A DynamoDB Local of the benchmark's own, with the Keyless table, for one scenario. */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, localDynamoDbClient, startDynamoDbLocal } from '#local/emulator/dynamodb-local.ts';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';

export interface BenchTable {
  endpoint: string;
  tableName: string;
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

export async function startBenchTable(prefix = 'keyless-bench'): Promise<BenchTable> {
  const dynamo = await startDynamoDbLocal();
  const client = localDynamoDbClient(dynamo.endpoint);
  const tableName = `${prefix}-${randomUUID().slice(0, 8)}`;
  await ensureTable(client, tableName);
  return {
    endpoint: dynamo.endpoint,
    tableName,
    client,
    documentClient: createDocumentClient(client),
    async stop() {
      client.destroy();
      await dynamo.stop();
    },
  };
}
