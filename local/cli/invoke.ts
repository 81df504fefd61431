/**
 * `npm run invoke -- <function> <event file>`: invokes one function of the running local system
 * (`npm start`) with a sample event, through the Lambda Invoke API, and prints what it returned.
 */
import { readFileSync } from 'node:fs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

const [name, eventFile] = process.argv.slice(2);
if (!name || !eventFile) {
  console.error(
    'Usage: npm run invoke -- <function folder name> <event file>   e.g. migration-reminder events/local/scheduled-migration-reminder.json',
  );
  process.exit(2);
}
const endpoint = process.env.KEYLESS_ENDPOINT ?? `http://127.0.0.1:${process.env.KEYLESS_PORT ?? '4577'}`;
const lambda = new LambdaClient({
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'AKIAKEYLESSLOCAL0000', secretAccessKey: 'local' },
});

try {
  const payload = readFileSync(eventFile);
  const started = performance.now();
  const result = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: payload }));
  const text = result.Payload ? Buffer.from(result.Payload).toString('utf8') : '';
  const elapsed = Math.round(performance.now() - started);
  let pretty = text;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: print as it is
  }
  console.log(pretty || '(no payload)');
  console.error(
    `${name}: ${result.FunctionError ? `failed (${result.FunctionError})` : 'ok'} in ${elapsed} ms`,
  );
  process.exit(result.FunctionError ? 1 : 0);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    message.includes('ECONNREFUSED') || message.includes('fetch failed')
      ? `Nothing listens at ${endpoint}: start the local system with npm start.`
      : message,
  );
  process.exit(1);
}
