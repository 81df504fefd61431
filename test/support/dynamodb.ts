/** A fresh table per test file in the run's DynamoDB Local, reached over HTTP by the real SDK. */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { ensureTable, localDynamoDbClient } from '#local/emulator/dynamodb-local.ts';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';

export async function createTestTable(prefix = 'keyless-test') {
  const client = localDynamoDbClient(inject('dynamoEndpoint'));
  const tableName = `${prefix}-${randomUUID()}`;
  await ensureTable(client, tableName);
  return {
    tableName,
    client,
    documentClient: createDocumentClient(client),
    drop: () => client.send(new DeleteTableCommand({ TableName: tableName })).then(() => undefined),
  };
}
