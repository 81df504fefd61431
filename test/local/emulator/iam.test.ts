/**
 * The local IAM's SimulatePrincipalPolicy, through the AWS SDK and the permission checker, for each
 * outcome AWS distinguishes: allowed, not granted, denied by the role's own policy, by its
 * permissions boundary, by a service control policy; and a role that may not ask at all
 * (docs/architecture.md §9.4).
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
import { permissionChecksOfTemplate } from '#shared/permissions/template-checks.ts';

const PROVIDER = '999988887777';
const CUSTOMER = '111122223333';
const EXTERNAL_ID = 'keyless-acme-0123456789abcdef0123456789abcdef';
const config = resolveCustomerTemplateConfig({
  providerAccountId: PROVIDER,
  stage: 'local',
  regions: ['us-east-1'],
  providerName: 'Acme Analytics',
  permissions: {
    ongoing: {
      managedPolicyArns: [],
      statements: [
        { Effect: 'Allow', Action: ['ce:GetCostAndUsage', 'ce:GetCostForecast'], Resource: '*' },
        { Effect: 'Allow', Action: ['ce:GetTags'], Resource: '*', OptionalActions: ['ce:GetTags'] },
      ],
    },
    setupPhase: { managedPolicyArns: [], statements: [] },
  },
});
const [validatorRoleArn] = trustedPrincipalArns(config) as [string];
const stack = instantiateCustomerTemplate(buildCustomerTemplate(config), {
  accountId: CUSTOMER,
  region: 'us-east-1',
  parameters: { ExternalId: EXTERNAL_ID, CustomerId: 'acme' },
});
const role = stack.role;
const policies = () =>
  Object.fromEntries(
    role.policies.map((p) => [p.policyName, structuredClone(p.policyDocument) as PolicyDocument]),
  );

let sts: LocalSts;
let iam: LocalIam;
let endpoint: Awaited<ReturnType<typeof startIdentityEndpoint>>;

beforeAll(async () => {
  sts = createLocalSts({ providerAccountId: PROVIDER, providerRoleArn: validatorRoleArn });
  iam = createLocalIam({ sts });
  endpoint = await startIdentityEndpoint({ sts, iam, accountId: PROVIDER });
});
afterAll(() => endpoint.close());
beforeEach(async () => {
  await sts.putRole({ arn: role.arn, trustPolicy: role.trustPolicy, policies: policies() });
  iam.setDenyingScp(CUSTOMER, []);
  iam.setPermissionsBoundary(role.arn, undefined);
});

/** The proof's session: AssumeRole with the External ID, as the validator does. */
async function session() {
  const provider = new STSClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAPROVIDERLOCAL000', secretAccessKey: 'local' },
  });
  const { Credentials } = await provider.send(
    new AssumeRoleCommand({
      RoleArn: role.arn,
      RoleSessionName: 'keyless-validate-acme-1',
      ExternalId: EXTERNAL_ID,
    }),
  );
  return Credentials!;
}
const check = async () =>
  createPermissionChecker({
    checks: permissionChecksOfTemplate(config),
    region: 'us-east-1',
    endpoint: endpoint.url,
  }).check({ roleArn: role.arn, credentials: await session() });

describe('SimulatePrincipalPolicy on the local IAM, through the permission checker', () => {
  it('finds nothing missing when the role has every action, with one IAM call', async () => {
    const before = iam.simulateCalls();
    expect(await check()).toMatchObject({ missing: [], optionalMissing: [] });
    expect(iam.simulateCalls() - before).toBe(1);
  });

  it('names an action the role no longer has as not granted by its policies', async () => {
    const edited = policies();
    const statements = edited['ongoing-access']!.Statement as { Action: string[] }[];
    statements[0]!.Action = ['ce:GetCostAndUsage'];
    await sts.putRole({ arn: role.arn, trustPolicy: role.trustPolicy, policies: edited });
    expect((await check()).missing).toEqual([{ action: 'ce:GetCostForecast', layer: 'identity-no-allow' }]);
  });

  it("names an explicit deny in the role's own policy", async () => {
    const edited = {
      ...policies(),
      'hand-edit': {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: 'ce:GetCostAndUsage', Resource: '*' }],
      },
    };
    await sts.putRole({ arn: role.arn, trustPolicy: role.trustPolicy, policies: edited });
    expect((await check()).missing).toEqual([{ action: 'ce:GetCostAndUsage', layer: 'identity-deny' }]);
  });

  it('names a permissions boundary that does not allow, and one that denies', async () => {
    iam.setPermissionsBoundary(role.arn, {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['ce:GetCostAndUsage', 'iam:SimulatePrincipalPolicy'], Resource: '*' },
      ],
    });
    expect((await check()).missing).toEqual([{ action: 'ce:GetCostForecast', layer: 'boundary-no-allow' }]);
    iam.setPermissionsBoundary(role.arn, {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', Action: 'ce:GetCostAndUsage', Resource: '*' },
      ],
    });
    expect((await check()).missing).toEqual([{ action: 'ce:GetCostAndUsage', layer: 'boundary-deny' }]);
  });

  it('names a service control policy, and says what the customer should do', async () => {
    iam.setDenyingScp(CUSTOMER, ['ce:GetCostAndUsage', 'ce:GetTags']);
    const report = await check();
    expect(report.missing).toEqual([{ action: 'ce:GetCostAndUsage', layer: 'scp-deny' }]);
    expect(report.optionalMissing).toEqual([{ action: 'ce:GetTags', layer: 'scp-deny' }]);
    expect(describeMissing(report.missing, role.arn)).toBe(
      'ce:GetCostAndUsage is denied by a service control policy in this account: ask your AWS administrator to allow it for role AcmeAnalyticsAccess.',
    );
  });

  it('reports the check as not made when an SCP denies the role the simulator itself, naming the SCP', async () => {
    iam.setDenyingScp(CUSTOMER, ['iam:SimulatePrincipalPolicy']);
    const report = await check();
    expect(report).toMatchObject({ missing: [], optionalMissing: [] });
    expect(report.unchecked).toMatch(/iam:SimulatePrincipalPolicy is denied by a service control policy/);
  });

  it('refuses another role to the session, as IAM does: the template grants the simulator on the role itself only', async () => {
    await sts.putRole({
      arn: `arn:aws:iam::${CUSTOMER}:role/Other`,
      trustPolicy: role.trustPolicy,
      policies: {},
    });
    const report = await createPermissionChecker({
      checks: permissionChecksOfTemplate(config),
      region: 'us-east-1',
      endpoint: endpoint.url,
    }).check({ roleArn: `arn:aws:iam::${CUSTOMER}:role/Other`, credentials: await session() });
    expect(report.unchecked).toMatch(/not granted by any of the role's policies/);
  });
});

describe('SimulatePrincipalPolicy for grants scoped by resource and tag', () => {
  it('asks about the resources and tag values the grant names, and finds them allowed', async () => {
    const scoped = resolveCustomerTemplateConfig({
      providerAccountId: PROVIDER,
      stage: 'local',
      regions: ['us-east-1'],
    });
    const built = instantiateCustomerTemplate(buildCustomerTemplate(scoped), {
      accountId: CUSTOMER,
      region: 'us-east-1',
      parameters: { ExternalId: EXTERNAL_ID, CustomerId: 'acme', RoleName: 'KeylessScoped' },
    });
    await sts.putRole({
      arn: built.role.arn,
      trustPolicy: built.role.trustPolicy,
      policies: Object.fromEntries(
        built.role.policies.map((p) => [p.policyName, p.policyDocument as PolicyDocument]),
      ),
    });
    const provider = new STSClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAPROVIDERLOCAL000', secretAccessKey: 'local' },
    });
    const { Credentials } = await provider.send(
      new AssumeRoleCommand({
        RoleArn: built.role.arn,
        RoleSessionName: 'keyless-validate-acme-2',
        ExternalId: EXTERNAL_ID,
      }),
    );
    const report = await createPermissionChecker({
      checks: permissionChecksOfTemplate(scoped),
      region: 'us-east-1',
      endpoint: endpoint.url,
    }).check({ roleArn: built.role.arn, credentials: Credentials! });
    expect(report).toEqual({ checkedAt: expect.any(String), missing: [], optionalMissing: [] });
  });
});
