/**
 * `keyless invoke <function> <event file>` (`npm run invoke -- …`): invokes one function of the
 * running local system (`npm start`) with a sample event, through the Lambda Invoke API, and
 * prints what it returned.
 */
import { readFileSync } from 'node:fs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

export async function invokeLocalFunction({
  name,
  eventFile,
  endpoint,
  io,
}: {
  name: string;
  eventFile: string;
  endpoint: string;
  io: { out: (text: string) => void; err: (text: string) => void; env: Record<string, string | undefined> };
}): Promise<number> {
  let payload: Buffer;
  try {
    payload = readFileSync(eventFile);
  } catch {
    io.err(`keyless: cannot read the event file ${eventFile}.\n`);
    return 1;
  }
  const lambda = new LambdaClient({
    endpoint,
    region: io.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'AKIAKEYLESSLOCAL0000', secretAccessKey: 'local' },
  });
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
  io.out(`${pretty || '(no payload)'}\n`);
  io.err(`${name}: ${result.FunctionError ? `failed (${result.FunctionError})` : 'ok'} in ${elapsed} ms\n`);
  return result.FunctionError ? 1 : 0;
}
