/** One DynamoDB Local for the whole test run; each test file creates its own table in it. */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '#local/emulator/dynamodb-local.ts';

export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return () => dynamo.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
