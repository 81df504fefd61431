/**
 * Keyless's X-Ray subsegments (shared/xray/tracer.ts, docs/architecture.md §11), recorded from real
 * AWS SDK calls to DynamoDB Local: what each document says, how they nest under Lambda's segment,
 * the trace header each call carries on, and nothing at all for an unsampled or untraced invocation.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';
import {
  createXRayTracer,
  lambdaTraceHeader,
  type Tracer,
  XRAY_MIDDLEWARE_NAME,
} from '#shared/xray/tracer.ts';
import { createTestTable } from '../../support/dynamodb.ts';

const TRACE_ID = '1-5759e988-bd862e3fe1be46a994272793';
const LAMBDA_SEGMENT = '53995c3f42cd8ad8';
const SAMPLED = `Root=${TRACE_ID};Parent=${LAMBDA_SEGMENT};Sampled=1;Lineage=a87bd80c:0`;
const UNSAMPLED = `Root=${TRACE_ID};Parent=${LAMBDA_SEGMENT};Sampled=0`;

type Document = Record<string, unknown> & { id: string; parent_id: string; name: string };

let table: Awaited<ReturnType<typeof createTestTable>>;
beforeAll(async () => {
  table = await createTestTable('keyless-xray');
});
afterAll(() => table.drop());

/** A tracer over the test table's client, recording its documents and the headers its calls send. */
function tracedTable(header: string | undefined, env: Record<string, string | undefined> = {}) {
  const documents: Document[] = [];
  const sentHeaders: (string | undefined)[] = [];
  const tracer = createXRayTracer({
    serviceName: 'role-validator',
    sink: { send: (document) => documents.push(JSON.parse(JSON.stringify(document))) },
    invocationHeader: () => header,
    env,
  });
  // Each capture replaces the last one on the table's client (one middleware per stack, by name).
  const { client } = table;
  client.middlewareStack.remove('recordTraceHeader');
  client.middlewareStack.add(
    (next) => async (args) => {
      sentHeaders.push((args.request as { headers: Record<string, string> }).headers['X-Amzn-Trace-Id']);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordTraceHeader' },
  );
  tracer.captureAWSv3Client(client);
  return { tracer, client, documents, sentHeaders };
}

/** The URL of the run's DynamoDB Local, as the table's client reaches it. */
async function localEndpoint(): Promise<string> {
  const endpoint = await table.client.config.endpoint?.();
  return `${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`;
}

const get = (key: string) =>
  new GetItemCommand({ TableName: table.tableName, Key: { PK: { S: key }, SK: { S: key } } });

describe('the X-Ray tracer', () => {
  it("records each AWS call as an `aws` subsegment of the handler's, itself under Lambda's segment", async () => {
    const { tracer, client, documents } = tracedTable(SAMPLED, { _HANDLER: 'index.handler' });
    const handler = tracer.traceHandler(async () => client.send(get('nobody')));
    await handler();
    const [call, invocation] = documents;
    expect(invocation).toMatchObject({
      type: 'subsegment',
      name: '## index.handler',
      trace_id: TRACE_ID,
      parent_id: LAMBDA_SEGMENT,
      annotations: { ColdStart: true, Service: 'role-validator' },
    });
    expect(call).toMatchObject({
      type: 'subsegment',
      name: 'DynamoDB',
      namespace: 'aws',
      trace_id: TRACE_ID,
      parent_id: invocation?.id,
      aws: { operation: 'GetItem', region: 'us-east-1', table_name: table.tableName, retries: 0 },
      http: { response: { status: 200 } },
    });
    expect((call?.aws as { request_id?: string } | undefined)?.request_id).toMatch(/.+/);
    expect(call?.error ?? call?.fault).toBeUndefined();
    for (const document of documents) {
      expect(document.id).toMatch(/^[0-9a-f]{16}$/);
      expect(document.end_time as number).toBeGreaterThanOrEqual(document.start_time as number);
    }
  });

  it('annotates only the first invocation of the environment a cold start', async () => {
    const { tracer, documents } = tracedTable(SAMPLED);
    const handler = tracer.traceHandler(async () => 'done');
    await handler();
    await handler();
    expect(documents.map((d) => (d.annotations as { ColdStart: boolean }).ColdStart)).toEqual([true, false]);
  });

  it("records an HTTP answer's status on the handler's subsegment: error for a 4xx, fault for a 5xx", async () => {
    const { tracer, documents } = tracedTable(SAMPLED);
    for (const statusCode of [200, 404, 500])
      await tracer.traceHandler(async () => ({ statusCode, body: '{}' }))();
    expect(documents.map((d) => [d.http, d.error, d.fault])).toEqual([
      [{ response: { status: 200 } }, undefined, undefined],
      [{ response: { status: 404 } }, true, undefined],
      [{ response: { status: 500 } }, undefined, true],
    ]);
  });

  it("takes a provisioned environment's first invocation for no cold start", async () => {
    const { documents } = tracedTable(SAMPLED);
    const tracer = createXRayTracer({
      serviceName: 'setup-api',
      sink: { send: (document) => documents.push(JSON.parse(JSON.stringify(document))) },
      invocationHeader: () => SAMPLED,
      env: { AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' },
    });
    await tracer.traceHandler(async () => 'done')();
    expect(documents[0]?.annotations).toMatchObject({ ColdStart: false });
  });

  it("carries the trace on to each call, naming the call's own subsegment and keeping Lambda's lineage", async () => {
    const { tracer, client, documents, sentHeaders } = tracedTable(SAMPLED);
    await tracer.traceHandler(async () => client.send(get('nobody')))();
    expect(sentHeaders).toEqual([`Root=${TRACE_ID};Parent=${documents[0]?.id};Sampled=1;Lineage=a87bd80c:0`]);
  });

  it('records a service error as an error with its exception, never a fault', async () => {
    const { tracer, client, documents } = tracedTable(SAMPLED);
    const put = new PutItemCommand({
      TableName: table.tableName,
      Item: { PK: { S: 'x' }, SK: { S: 'x' } },
      ConditionExpression: 'attribute_exists(PK)',
    });
    await expect(tracer.traceHandler(async () => client.send(put))()).rejects.toThrow();
    const [call, invocation] = documents;
    expect(call).toMatchObject({
      aws: { operation: 'PutItem' },
      http: { response: { status: 400 } },
      error: true,
      cause: { exceptions: [{ type: 'ConditionalCheckFailedException', remote: true }] },
    });
    expect(call?.fault).toBeUndefined();
    // The handler's subsegment failed with it: not a remote error, a fault of this invocation.
    expect(invocation).toMatchObject({
      fault: true,
      cause: { exceptions: [{ type: 'ConditionalCheckFailedException' }] },
    });
  });

  it('records an unreachable endpoint as a fault', async () => {
    const { tracer, documents } = tracedTable(SAMPLED);
    const unreachable = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    tracer.captureAWSv3Client(unreachable);
    await expect(tracer.traceHandler(async () => unreachable.send(get('nobody')))()).rejects.toThrow();
    expect(documents[0]).toMatchObject({ name: 'DynamoDB', fault: true });
    expect(documents[0]?.error).toBeUndefined();
  });

  it('flags a throttled call as throttled beside its 4xx error, as DynamoDB answers a throttle', async () => {
    // A DynamoDB endpoint answering every request with its documented throttling error.
    const server = createServer((_request, response) => {
      response.writeHead(400, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': 'throttled-1',
      });
      response.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
          message: 'Rate exceeded',
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const throttling = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const { tracer, documents } = tracedTable(SAMPLED);
    tracer.captureAWSv3Client(throttling);
    await expect(tracer.traceHandler(async () => throttling.send(get('nobody')))()).rejects.toThrow(
      'Rate exceeded',
    );
    server.close();
    expect(documents[0]).toMatchObject({
      throttle: true,
      error: true,
      http: { response: { status: 400 } },
      aws: { request_id: 'throttled-1' },
      cause: { exceptions: [{ type: 'ThrottlingException', remote: true }] },
    });
    expect(documents[0]?.fault).toBeUndefined();
  });

  it('lets the call end as it would when tracing itself fails: a sink that throws, a region that cannot be read', async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: await localEndpoint(),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const tracer = createXRayTracer({
      serviceName: 'role-validator',
      sink: {
        send: () => {
          throw new Error('sink down');
        },
      },
      invocationHeader: () => SAMPLED,
    });
    tracer.captureAWSv3Client({
      middlewareStack: client.middlewareStack,
      config: { region: async () => Promise.reject(new Error('no region')) },
    });
    const answer = await tracer.traceHandler(async () => client.send(get('nobody')))();
    expect(answer.$metadata.httpStatusCode).toBe(200);
  });

  it('passes on a rejection that is not an error object, recording it as a fault', async () => {
    const { tracer, documents } = tracedTable(SAMPLED);
    const step = tracer.captureAsyncFunc('### Step', async () => {
      throw null;
    });
    await expect(tracer.traceHandler(async () => step)()).rejects.toBeNull();
    expect(documents[0]).toMatchObject({
      name: '### Step',
      fault: true,
      cause: { exceptions: [{ type: 'Error', message: 'null' }] },
    });
  });

  it('traces document-client calls once, as the DynamoDB operation they send', async () => {
    const { tracer, documents } = tracedTable(SAMPLED);
    // The document client shares its DynamoDB client's middleware stack.
    const documentClient = createDocumentClient(table.client);
    tracer.captureAWSv3Client(documentClient);
    await tracer.traceHandler(async () =>
      documentClient.send(new GetCommand({ TableName: table.tableName, Key: { PK: 'a', SK: 'a' } })),
    )();
    const calls = documents.filter((d) => d.namespace === 'aws');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ aws: { operation: 'GetItem', table_name: table.tableName } });
  });

  it('nests a named subsegment, and the calls made in it, under the current one', async () => {
    const { tracer, client, documents } = tracedTable(SAMPLED);
    await tracer.traceHandler(async () =>
      tracer.captureAsyncFunc('### AssumeRole', async (subsegment) => {
        subsegment?.addAnnotation('customerId', 'acme-corp');
        subsegment?.addAnnotation('not a valid key', 'dropped');
        return client.send(get('nobody'));
      }),
    )();
    const [call, named, invocation] = documents;
    expect(named).toMatchObject({
      name: '### AssumeRole',
      parent_id: invocation?.id,
      annotations: { customerId: 'acme-corp' },
    });
    expect(Object.keys(named?.annotations as object)).toEqual(['customerId']);
    expect(call?.parent_id).toBe(named?.id);
  });

  it('keeps concurrent invocations apart: each call under its own invocation', async () => {
    const { tracer, client, documents } = tracedTable(SAMPLED);
    const handler = tracer.traceHandler(async (key: string) => {
      await new Promise((resolve) => setTimeout(resolve, key === 'a' ? 20 : 0));
      return client.send(get(key));
    });
    await Promise.all([handler('a'), handler('b')]);
    const invocations = documents.filter((d) => d.name.startsWith('##'));
    const calls = documents.filter((d) => d.namespace === 'aws');
    expect(new Set(calls.map((c) => c.parent_id))).toEqual(new Set(invocations.map((i) => i.id)));
  });

  it('records nothing for an unsampled invocation, and tells the services it is unsampled', async () => {
    const { tracer, client, documents, sentHeaders } = tracedTable(UNSAMPLED);
    let inner: unknown = 'not called';
    await tracer.traceHandler(async () => {
      await tracer.captureAsyncFunc('### AssumeRole', async (subsegment) => {
        inner = subsegment;
      });
      return client.send(get('nobody'));
    })();
    expect(documents).toEqual([]);
    expect(inner).toBeUndefined();
    expect(sentHeaders).toEqual([UNSAMPLED]);
  });

  it('outside Lambda (no trace header) records nothing and sends no header', async () => {
    const { tracer, client, documents, sentHeaders } = tracedTable(undefined);
    await tracer.traceHandler(async () => client.send(get('nobody')))();
    expect(documents).toEqual([]);
    expect(sentHeaders).toEqual([undefined]);
  });

  it('built disabled, or without a daemon address, is off and captures nothing', () => {
    const disabled: Tracer = createXRayTracer({
      serviceName: 'x',
      enabled: false,
      invocationHeader: () => SAMPLED,
    });
    const noDaemon: Tracer = createXRayTracer({ serviceName: 'x', env: {}, invocationHeader: () => SAMPLED });
    const withDaemon: Tracer = createXRayTracer({
      serviceName: 'x',
      env: { AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000' },
    });
    expect([disabled.isTracingEnabled(), noDaemon.isTracingEnabled(), withDaemon.isTracingEnabled()]).toEqual(
      [false, false, true],
    );
    const client = new DynamoDBClient({ region: 'us-east-1' }).middlewareStack;
    disabled.captureAWSv3Client({ middlewareStack: client, config: {} });
    expect(client.identify().filter((entry) => entry.startsWith(XRAY_MIDDLEWARE_NAME))).toEqual([]);
  });

  it('captures a client once however often it is captured', () => {
    const tracer = createXRayTracer({ serviceName: 'x', sink: { send: () => {} } });
    const stack = new DynamoDBClient({ region: 'us-east-1' }).middlewareStack;
    tracer.captureAWSv3Client({ middlewareStack: stack, config: {} });
    tracer.captureAWSv3Client({ middlewareStack: stack, config: {} });
    expect(stack.identify().filter((entry) => entry.startsWith(XRAY_MIDDLEWARE_NAME))).toHaveLength(1);
  });
});

describe("Lambda's trace header", () => {
  afterEach(() => {
    delete (globalThis as { awslambda?: unknown }).awslambda;
  });

  it("is the invocation's _X_AMZN_TRACE_ID, read at each invocation", () => {
    const env: Record<string, string | undefined> = { _X_AMZN_TRACE_ID: SAMPLED };
    expect(lambdaTraceHeader(env)).toBe(SAMPLED);
    env._X_AMZN_TRACE_ID = UNSAMPLED;
    expect(lambdaTraceHeader(env)).toBe(UNSAMPLED);
  });

  it("is the runtime's per-invocation store's where there is one (several invocations in one environment)", () => {
    (globalThis as { awslambda?: unknown }).awslambda = { InvokeStore: { getXRayTraceId: () => UNSAMPLED } };
    expect(lambdaTraceHeader({ _X_AMZN_TRACE_ID: SAMPLED })).toBe(UNSAMPLED);
    (globalThis as { awslambda?: unknown }).awslambda = { InvokeStore: { getXRayTraceId: () => undefined } };
    expect(lambdaTraceHeader({ _X_AMZN_TRACE_ID: SAMPLED })).toBe(SAMPLED);
  });

  it('is none when the store cannot be read, and the invocation runs untraced', async () => {
    (globalThis as { awslambda?: unknown }).awslambda = {
      InvokeStore: {
        getXRayTraceId: () => {
          throw new Error('no store');
        },
      },
    };
    expect(lambdaTraceHeader({ _X_AMZN_TRACE_ID: SAMPLED })).toBeUndefined();
    const documents: unknown[] = [];
    const tracer = createXRayTracer({
      serviceName: 'x',
      sink: { send: (document) => documents.push(document) },
      env: { _X_AMZN_TRACE_ID: SAMPLED },
    });
    expect(await tracer.traceHandler(async () => 'answer')()).toBe('answer');
    expect(documents).toEqual([]);
  });
});
