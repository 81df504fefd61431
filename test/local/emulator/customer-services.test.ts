/**
 * The simulated customer accounts' tables (local/emulator/customer-services.ts, docs/architecture.md
 * §9.4): DescribeTable answers a table an account holds and refuses one it does not with DynamoDB's
 * ResourceNotFoundException, after authorizing; and the tables outlive a restart with a data directory,
 * as the roles and SCPs do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCustomerServices } from '#local/emulator/customer-services.ts';
import { createLocalIam } from '#local/emulator/iam.ts';
import { createLocalSts, type StsCaller } from '#local/emulator/sts.ts';

const CUSTOMER = '111122223333';
const sts = createLocalSts({
  providerAccountId: '999988887777',
  providerRoleArn: 'arn:aws:iam::999988887777:role/keyless-local-role-validator',
});
const iam = createLocalIam({ sts });
/** A session of a customer role allowed every DynamoDB action. */
const caller: StsCaller = {
  arn: `arn:aws:sts::${CUSTOMER}:assumed-role/KeylessAccess/keyless-validate-acme-1`,
  principalArn: `arn:aws:iam::${CUSTOMER}:role/KeylessAccess`,
  accountId: CUSTOMER,
  userId: 'AROALOCALCUSTOMER000:keyless-validate-acme-1',
  identityPolicies: {
    read: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] },
  },
  isAssumedRoleSession: true,
};
const describeTable = (services: ReturnType<typeof createCustomerServices>, name: string) =>
  services.call(caller, 'DynamoDB_20120810.DescribeTable', { TableName: name }, 'us-east-1');

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe('the customer accounts’ tables', () => {
  it('answers a table the account holds, and ResourceNotFoundException for one it does not', async () => {
    const services = createCustomerServices({ iam });
    const arn = services.putTable({ accountId: CUSTOMER, region: 'us-east-1', name: 'orders' });
    expect(await describeTable(services, 'orders')).toMatchObject({
      ok: true,
      body: { Table: { TableName: 'orders', TableArn: arn, TableStatus: 'ACTIVE' } },
    });
    expect(await describeTable(services, 'invoices')).toMatchObject({
      ok: false,
      status: 400,
      type: 'ResourceNotFoundException',
    });
    expect(services.deleteTable(arn)).toBe(true);
    expect(await describeTable(services, 'orders')).toMatchObject({ type: 'ResourceNotFoundException' });
  });

  it('keeps the tables and their policies in the data directory across a restart', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'keyless-tables-'));
    const persistPath = join(dataDir, 'tables.json');
    const first = createCustomerServices({ iam, persistPath });
    first.putTable({
      accountId: CUSTOMER,
      region: 'us-east-1',
      name: 'orders',
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Principal: '*', Action: 'dynamodb:DescribeTable', Resource: '*' }],
      },
    });
    first.putTable({ accountId: CUSTOMER, region: 'us-east-1', name: 'invoices' });

    const restarted = createCustomerServices({ iam, persistPath });
    expect(await describeTable(restarted, 'invoices')).toMatchObject({ ok: true });
    expect(await describeTable(restarted, 'orders')).toMatchObject({
      ok: false,
      type: 'AccessDeniedException',
      message: expect.stringMatching(/with an explicit deny in a resource-based policy$/),
    });
  });
});
