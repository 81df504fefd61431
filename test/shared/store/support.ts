/** A store over a fresh table in DynamoDB Local, and the few connections the store tests start from. */
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { buildRoleConnection, buildSetup } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';

export const audit = { actor: 'test', reason: 'because the test says so' };

export const uniqueCustomer = () => `c-${Math.random().toString(36).slice(2)}`;

export async function storeFixture() {
  const table = await createTestTable();
  const store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });

  /** A REGISTERED role connection, through its setup (`setup-1`). */
  async function registered(customerId = uniqueCustomer()) {
    const setup = await store.putSetup(buildSetup({ customerId }));
    return store.registerConnection({ connection: buildRoleConnection({ customerId }), setup, audit });
  }

  /** An ACTIVE role connection. */
  async function active(customerId = uniqueCustomer()) {
    return store.updateConnection({ connection: await registered(customerId), to: 'ACTIVE', audit });
  }

  return { table, store, registered, active };
}
