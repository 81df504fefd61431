/**
 * `npm start`: runs Keyless on this machine. For now it starts the embedded DynamoDB (AWS's
 * DynamoDB Local) with the Keyless table created from the shared definition, and keeps it
 * running until Ctrl-C. Data lives under `.keyless/` between runs; `--fresh` starts empty.
 */
import { rmSync } from 'node:fs';
import { ensureTable, localDynamoDbClient, startDynamoDbLocal } from './dynamodb-local.ts';

const TABLE_NAME = process.env.TABLE_NAME ?? 'keyless';
const dataDir = '.keyless/dynamodb';

async function main() {
  if (process.argv.includes('--fresh')) rmSync(dataDir, { recursive: true, force: true });
  const port = process.env.KEYLESS_DYNAMODB_PORT ? Number(process.env.KEYLESS_DYNAMODB_PORT) : undefined;
  const dynamo = await startDynamoDbLocal({ dataDir, ...(port ? { port } : {}) });
  const outcome = await ensureTable(localDynamoDbClient(dynamo.endpoint), TABLE_NAME);
  console.log(`Keyless local: DynamoDB Local at ${dynamo.endpoint}, table "${TABLE_NAME}" ${outcome}.`);
  console.log(
    `Point the AWS SDK or CLI at it with AWS_ENDPOINT_URL_DYNAMODB=${dynamo.endpoint}. Ctrl-C stops.`,
  );
  const stop = async () => {
    await dynamo.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
