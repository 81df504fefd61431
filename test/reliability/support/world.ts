/**
 * One Keyless deployment for a reliability test file: its own table in the run's DynamoDB Local,
 * the real handlers (registration callback, role validator, revocation, setup API) loaded with
 * the outbound guard in place, a local recording server as the local-mode ResponseURL origin,
 * and the real store for arranging and checking state. EventBridge and STS are mocked by the
 * test file (`mockClient`), the only parts that cannot run here.
 */
import { inject } from 'vitest';
import { documentClient } from '#shared/clients/dynamodb.ts';
import type { AuditEntry } from '#shared/domain/audit.ts';
import type { Connection } from '#shared/domain/connection.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { startResponseServer } from '../../support/response-server.ts';
import { installOutboundGuard } from './outbound.ts';

export const PROVIDER_TOPICS = {
  'us-east-1': 'arn:aws:sns:us-east-1:999988887777:keyless-registrations',
  'eu-west-1': 'arn:aws:sns:eu-west-1:999988887777:keyless-registrations',
};

const WRITE_COMMANDS = new Set([
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'TransactWriteCommand',
  'BatchWriteCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'BatchWriteItemCommand',
]);

/**
 * The handlers' logMetrics middleware warns on every invocation that publishes no metric (metrics
 * are disabled in tests); thousands of hostile cases would print thousands of these lines.
 */
function muteEmptyMetricsWarning(): () => void {
  const originals = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write;
    stream.write = function filteredWrite(this: typeof stream, chunk: unknown, ...rest: unknown[]) {
      if (String(chunk).includes('No application metrics to publish')) return true;
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    return () => {
      stream.write = write;
    };
  });
  return () => {
    for (const restore of originals) restore();
  };
}

export async function createWorld(prefix = 'keyless-reliability') {
  const unmute = muteEmptyMetricsWarning();
  const table = await createTestTable(prefix);
  const recorder = await startResponseServer();
  const outbound = installOutboundGuard({ localOrigins: [recorder.origin] });
  outbound.allowHost(new URL(inject('dynamoEndpoint')).host);

  process.env.TABLE_NAME = table.tableName;
  process.env.EVENT_BUS_NAME = 'keyless-reliability';
  process.env.LOCAL_RESPONSE_ORIGIN = recorder.origin;
  process.env.TEMPLATE_URL = 'https://keyless-templates.s3.amazonaws.com/customer/v1.yaml';
  process.env.HOME_REGION = 'us-east-1';
  process.env.REGISTRATION_TOPIC_ARNS = JSON.stringify(PROVIDER_TOPICS);
  process.env.SETUP_TTL_DAYS = '7';

  const [callback, validator, revocation, setupApi] = await Promise.all([
    import('#functions/registration-callback/handler.ts'),
    import('#functions/role-validator/handler.ts'),
    import('#functions/revocation/handler.ts'),
    import('#functions/setup-api/handler.ts'),
  ]);
  const store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });

  // Counts the writes the handlers make (their shared document client), so a case that must
  // leave no record is checked without reading the table after each one.
  const writes: string[] = [];
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      if (WRITE_COMMANDS.has(context.commandName ?? '')) writes.push(context.commandName ?? '');
      return next(args);
    },
    { step: 'initialize', name: 'reliabilityWriteCounter' },
  );

  return {
    table,
    store,
    recorder,
    outbound,
    writes,
    handlers: {
      callback: callback.handler,
      validator: validator.handler,
      revocation: revocation.handler,
      setupApi: setupApi.handler,
    },
    /** Every connection and audit entry of a customer. */
    async snapshot(customerId: string): Promise<{ connections: Connection[]; audit: AuditEntry[] }> {
      const [connections, audit] = await Promise.all([
        store.listAllConnections(customerId),
        store.listAllAudit(customerId),
      ]);
      return { connections, audit };
    },
    async close() {
      documentClient.middlewareStack.remove('reliabilityWriteCounter');
      unmute();
      outbound.uninstall();
      await recorder.close();
      await table.drop();
    },
  };
}

export type World = Awaited<ReturnType<typeof createWorld>>;
