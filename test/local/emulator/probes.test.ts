/**
 * The permission check's probes against the local endpoint (docs/architecture.md §9.4): real
 * DynamoDB DescribeTable calls in a customer role's session, authorized by the local IAM like calls
 * to AWS. A resource control policy is seen by the probe and
 * not by the local SimulatePrincipalPolicy, as in AWS; an SCP is seen by both.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCustomerServices, type LocalCustomerServices } from '#local/emulator/customer-services.ts';
import { startIdentityEndpoint } from '#local/emulator/endpoint.ts';
import { createLocalIam, type LocalIam } from '#local/emulator/iam.ts';
import { instantiateCustomerTemplate } from '#local/emulator/instantiate.ts';
import { createLocalSts, type LocalSts, type PolicyDocument } from '#local/emulator/sts.ts';
import {
  buildCustomerTemplate,
  resolveCustomerTemplateConfig,
  trustedPrincipalArns,
} from '#shared/customer-template/template.ts';
import { createPermissionChecker, describeMissing } from '#shared/permissions/permission-check.ts';
import { PROBE_CALLS, runProbe } from '#shared/permissions/probes.ts';
import { permissionChecksOfTemplate } from '#shared/permissions/template-checks.ts';
import { recordingTracer } from '../../support/xray.ts';

const PROVIDER = '999988887777';
const CUSTOMER = '111122223333';
const EXTERNAL_ID = 'keyless-acme-0123456789abcdef0123456789abcdef';
/**
 * Keyless's own config's statement (tag-scoped, DescribeTable probed on a table that does not
 * exist), and an optional, unscoped read of one table probed on that table, named.
 */
const config = resolveCustomerTemplateConfig({
  providerAccountId: PROVIDER,
  stage: 'local',
  regions: ['us-east-1'],
  providerName: 'Acme Analytics',
  permissions: {
    ongoing: {
      managedPolicyArns: [],
      statements: [
        {
          Effect: 'Allow',
          Action: ['ssm:GetParameter', 'dynamodb:DescribeTable'],
          Resource: [
            'arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter/*',
            'arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/*',
          ],
          Condition: { StringEquals: { 'aws:ResourceTag/keyless:access': 'read' } },
          Probes: [{ Action: 'dynamodb:DescribeTable' }],
        },
      ],
    },
    setupPhase: { managedPolicyArns: [], statements: [] },
  },
});
/** The same grant without its tag condition, its probe on a named table, and optional. */
const namedConfig = resolveCustomerTemplateConfig({
  ...config,
  permissions: {
    ongoing: {
      managedPolicyArns: [],
      statements: [
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeTable'],
          Resource: 'arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/orders',
          OptionalActions: ['dynamodb:DescribeTable'],
          Probes: [
            {
              Action: 'dynamodb:DescribeTable',
              Resource: 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders',
            },
          ],
        },
      ],
    },
    setupPhase: { managedPolicyArns: [], statements: [] },
  },
});
const [validatorRoleArn] = trustedPrincipalArns(config) as [string];
/** Each config's role, as its stack creates it. */
const roleOf = (built: typeof config, RoleName: string) =>
  instantiateCustomerTemplate(buildCustomerTemplate(built), {
    accountId: CUSTOMER,
    region: 'us-east-1',
    parameters: { ExternalId: EXTERNAL_ID, CustomerId: 'acme', RoleName },
  }).role;
const role = roleOf(config, 'AcmeAnalyticsAccess');
const namedRole = roleOf(namedConfig, 'AcmeAnalyticsNamed');

let sts: LocalSts;
let iam: LocalIam;
let services: LocalCustomerServices;
let endpoint: Awaited<ReturnType<typeof startIdentityEndpoint>>;

beforeAll(async () => {
  sts = createLocalSts({ providerAccountId: PROVIDER, providerRoleArn: validatorRoleArn });
  iam = createLocalIam({ sts });
  services = createCustomerServices({ iam });
  endpoint = await startIdentityEndpoint({ sts, iam, accountId: PROVIDER, customerServices: services });
  for (const { arn, trustPolicy, policies } of [role, namedRole]) {
    await sts.putRole({
      arn,
      trustPolicy,
      policies: Object.fromEntries(policies.map((p) => [p.policyName, p.policyDocument as PolicyDocument])),
    });
  }
});
afterAll(() => endpoint.close());
beforeEach(() => {
  iam.setDenyingScp(CUSTOMER, []);
  iam.setDenyingRcp(CUSTOMER, []);
});

/** The proof's session: AssumeRole with the External ID, as the validator does. */
async function session(roleArn = role.arn) {
  const { Credentials } = await new STSClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAPROVIDERLOCAL000', secretAccessKey: 'local' },
  }).send(
    new AssumeRoleCommand({
      RoleArn: roleArn,
      RoleSessionName: 'keyless-validate-acme-1',
      ExternalId: EXTERNAL_ID,
    }),
  );
  return Credentials!;
}
const sdkCredentials = (credentials: Awaited<ReturnType<typeof session>>) => ({
  accessKeyId: credentials.AccessKeyId!,
  secretAccessKey: credentials.SecretAccessKey!,
  sessionToken: credentials.SessionToken!,
});

/** DescribeTable, as a real call of the session `credentials` would make it. */
const describeTableAs = (credentials: Awaited<ReturnType<typeof session>>, tableName: string) =>
  new DynamoDBClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: sdkCredentials(credentials),
  }).send(new DescribeTableCommand({ TableName: tableName }));

/** One check, with how many simulator and probe calls it made. */
async function check(checked = config) {
  const roleArn = checked === config ? role.arn : namedRole.arn;
  const credentials = await session(roleArn);
  const [simulated, probed] = [iam.simulateCalls(), services.calls()];
  const report = await createPermissionChecker({
    checks: permissionChecksOfTemplate(checked),
    region: 'us-east-1',
    endpoint: endpoint.url,
  }).check({ roleArn, credentials });
  return { report, simulatorCalls: iam.simulateCalls() - simulated, probeCalls: services.calls() - probed };
}

describe('probes on the local endpoint', () => {
  it("traces the IAM call and the probe as subsegments when the validator's tracer captures their clients", async () => {
    const { tracer, documents } = recordingTracer('role-validator');
    const credentials = await session();
    const report = await createPermissionChecker({
      checks: permissionChecksOfTemplate(config),
      region: 'us-east-1',
      endpoint: endpoint.url,
      captureClient: (client) => tracer.captureAWSv3Client(client),
    }).check({ roleArn: role.arn, credentials });
    expect(report.missing).toEqual([]);
    expect(documents.map((d) => [d.name, (d.aws as { operation: string }).operation])).toEqual([
      ['IAM', 'SimulatePrincipalPolicy'],
      ['DynamoDB', 'DescribeTable'],
    ]);
    // The probe's table does not exist: DynamoDB's authorized ResourceNotFoundException, a 400.
    expect(documents[1]).toMatchObject({ error: true, http: { response: { status: 400 } } });
    expect(JSON.stringify(documents)).not.toContain(credentials.SecretAccessKey);
  });

  it('finds the probed action allowed with one IAM call and one probe call', async () => {
    const { report, simulatorCalls, probeCalls } = await check();
    expect(report).toEqual({ checkedAt: expect.any(String), missing: [], optionalMissing: [] });
    expect([simulatorCalls, probeCalls]).toEqual([1, 1]);
  });

  it('finds a named table allowed: DynamoDB answers ResourceNotFoundException only after authorizing', async () => {
    const { report, probeCalls } = await check(namedConfig);
    expect(report).toEqual({ checkedAt: expect.any(String), missing: [], optionalMissing: [] });
    expect(probeCalls).toBe(1);
  });

  it('records a resource control policy the simulator does not see, in the layer the probe names', async () => {
    iam.setDenyingRcp(CUSTOMER, ['dynamodb:DescribeTable']);
    const credentials = await session();
    // The local SimulatePrincipalPolicy, like AWS's, has no RCPs: it allows the action.
    const simulated = await new IAMClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: sdkCredentials(credentials),
    }).send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: role.arn,
        ActionNames: ['dynamodb:DescribeTable'],
        ResourceArns: [`arn:aws:dynamodb:us-east-1:${CUSTOMER}:table/keyless-check`],
        ContextEntries: [
          {
            ContextKeyName: 'aws:ResourceTag/keyless:access',
            ContextKeyValues: ['read'],
            ContextKeyType: 'string',
          },
        ],
      }),
    );
    expect(simulated.EvaluationResults?.[0]?.EvalDecision).toBe('allowed');
    // A real call is refused in AWS's words.
    await expect(describeTableAs(credentials, 'orders')).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::${CUSTOMER}:assumed-role/AcmeAnalyticsAccess/keyless-validate-acme-1 is not authorized to perform: dynamodb:DescribeTable on resource: arn:aws:dynamodb:us-east-1:${CUSTOMER}:table/orders with an explicit deny in a resource control policy`,
    });

    const { report, simulatorCalls, probeCalls } = await check();
    expect(report.missing).toEqual([{ action: 'dynamodb:DescribeTable', layer: 'rcp-deny' }]);
    expect([simulatorCalls, probeCalls]).toEqual([1, 1]);
    expect(describeMissing(report.missing, role.arn)).toBe(
      'dynamodb:DescribeTable is denied by a resource control policy of your organization: ask your AWS administrator to allow it for role AcmeAnalyticsAccess in the resource control policy.',
    );
    // Optional, on a named table: recorded, never failing.
    expect((await check(namedConfig)).report).toMatchObject({
      missing: [],
      optionalMissing: [{ action: 'dynamodb:DescribeTable', layer: 'rcp-deny' }],
    });
  });

  it('denies the probe call under an SCP, naming it; the check takes it from the simulator, with no probe call', async () => {
    iam.setDenyingScp(CUSTOMER, ['dynamodb:DescribeTable']);
    const credentials = await session();
    expect(
      await runProbe(PROBE_CALLS['dynamodb:DescribeTable'], {
        resource: `arn:aws:dynamodb:us-east-1:${CUSTOMER}:table/keyless-permission-probe`,
        region: 'us-east-1',
        credentials,
        endpoint: endpoint.url,
      }),
    ).toEqual({ kind: 'denied', layer: 'scp-deny' });

    const { report, simulatorCalls, probeCalls } = await check();
    expect(report.missing).toEqual([{ action: 'dynamodb:DescribeTable', layer: 'scp-deny' }]);
    expect([simulatorCalls, probeCalls]).toEqual([1, 0]);
  });

  it("finds a table that exists allowed: DescribeTable answers it, with the table's own ARN", async () => {
    const arn = services.putTable({ accountId: CUSTOMER, region: 'us-east-1', name: 'orders' });
    try {
      const credentials = await session(namedRole.arn);
      const { Table } = await describeTableAs(credentials, 'orders');
      expect(Table).toMatchObject({ TableName: 'orders', TableArn: arn, TableStatus: 'ACTIVE' });
      expect((await check(namedConfig)).report).toMatchObject({ missing: [], optionalMissing: [] });
    } finally {
      services.deleteTable(arn);
    }
  });

  it("records a table's resource-based policy that denies the role, which the simulator does not see", async () => {
    const arn = services.putTable({
      accountId: CUSTOMER,
      region: 'us-east-1',
      name: 'orders',
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: namedRole.arn },
            Action: 'dynamodb:DescribeTable',
            Resource: '*',
          },
        ],
      },
    });
    try {
      const credentials = await session(namedRole.arn);
      await expect(describeTableAs(credentials, 'orders')).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringMatching(
          new RegExp(
            `on resource: ${arn.replaceAll('/', '\\/')} with an explicit deny in a resource-based policy$`,
          ),
        ),
      });
      const { report, simulatorCalls, probeCalls } = await check(namedConfig);
      // Optional, so recorded rather than failing; one simulator call, which allowed it, and one probe.
      expect(report).toMatchObject({
        missing: [],
        optionalMissing: [{ action: 'dynamodb:DescribeTable', layer: 'resource-policy-deny' }],
      });
      expect([simulatorCalls, probeCalls]).toEqual([1, 1]);
    } finally {
      services.deleteTable(arn);
    }
  });

  it("refuses another account's table, which no resource-based policy opens to the role, as AWS does", async () => {
    const credentials = await session();
    await expect(
      describeTableAs(credentials, 'arn:aws:dynamodb:us-east-1:222233334444:table/orders'),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringMatching(
        /because no resource-based policy allows the dynamodb:DescribeTable action$/,
      ),
    });
  });

  it('leaves the role its access under a resource-based policy that grants only others', async () => {
    const arn = services.putTable({
      accountId: CUSTOMER,
      region: 'us-east-1',
      name: 'orders',
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${CUSTOMER}:role/SomeoneElse` },
            Action: 'dynamodb:*',
            Resource: '*',
          },
        ],
      },
    });
    try {
      expect((await check(namedConfig)).report).toMatchObject({ missing: [], optionalMissing: [] });
    } finally {
      services.deleteTable(arn);
    }
  });

  it('refuses an RCP on a service RCPs do not apply to, as it could never deny', () => {
    expect(() => iam.setDenyingRcp(CUSTOMER, ['ssm:GetParameter'])).toThrow(
      /Resource control policies do not apply to ssm:GetParameter/,
    );
  });
});
