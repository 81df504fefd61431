/**
 * One Keyless deployment for a reliability test file: its own table in the run's DynamoDB Local,
 * the real handlers (registration callback, role validator, revocation, setup API) built by their
 * factories with the outbound guard in place, a local recording server as the ResponseURL receiver,
 * and the real store for arranging and checking state. EventBridge and STS are mocked by the
 * test file (`mockClient`), the only parts that cannot run here.
 */
import { inject } from 'vitest';
import { createRegistrationCallbackHandler } from '#functions/registration-callback/factory.ts';
import { createRevocationHandler } from '#functions/revocation/factory.ts';
import { createRoleValidatorHandler } from '#functions/role-validator/factory.ts';
import { createSetupApiHandler } from '#functions/setup-api/factory.ts';
import { createTerraformRegistrationHandler } from '#functions/terraform-registration/factory.ts';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';
import type { AuditEntry } from '#shared/domain/audit.ts';
import type { Connection } from '#shared/domain/connection.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';
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

  // The handlers get a document client of their own, so the writes they make (and only those)
  // are counted, and a case that must leave no record is checked without reading the table.
  const handlerClient = createDocumentClient(table.client);
  const writes: string[] = [];
  handlerClient.middlewareStack.add(
    (next, context) => async (args) => {
      if (WRITE_COMMANDS.has(context.commandName ?? '')) writes.push(context.commandName ?? '');
      return next(args);
    },
    { step: 'initialize', name: 'reliabilityWriteCounter' },
  );
  const platform = {
    ...testPlatform({ table, responseOrigin: recorder.origin }),
    documentClient: handlerClient,
  };
  const config = <
    N extends
      | 'registration-callback'
      | 'role-validator'
      | 'revocation'
      | 'setup-api'
      | 'terraform-registration',
  >(
    name: N,
  ) =>
    testConfig(name, table.tableName, {
      EVENT_BUS_NAME: 'keyless-reliability',
      TEMPLATE_URL: 'https://keyless-templates.s3.amazonaws.com/customer/v1.yaml',
      REGISTRATION_TOPIC_ARNS: JSON.stringify(PROVIDER_TOPICS),
    });
  const handlers = {
    callback: createRegistrationCallbackHandler(platform, config('registration-callback')),
    validator: createRoleValidatorHandler(platform, config('role-validator')),
    revocation: createRevocationHandler(platform, config('revocation')),
    setupApi: createSetupApiHandler(platform, config('setup-api')),
    terraform: createTerraformRegistrationHandler(platform, config('terraform-registration')),
  };
  const store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });

  return {
    table,
    store,
    recorder,
    outbound,
    writes,
    handlers,
    /** Every connection and audit entry of a customer. */
    async snapshot(customerId: string): Promise<{ connections: Connection[]; audit: AuditEntry[] }> {
      const [connections, audit] = await Promise.all([
        store.listAllConnections(customerId),
        store.listAllAudit(customerId),
      ]);
      return { connections, audit };
    },
    async close() {
      unmute();
      outbound.uninstall();
      await recorder.close();
      await table.drop();
    },
  };
}

export type World = Awaited<ReturnType<typeof createWorld>>;
