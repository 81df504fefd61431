/** What every store module works on: one document client and the one Keyless table. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface StoreTable {
  client: DynamoDBDocumentClient;
  tableName: string;
}
