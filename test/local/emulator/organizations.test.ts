/**
 * DescribeOrganization on the local endpoint, through the validator's own client and membership
 * checker (docs/architecture.md §9.7): a member account's session reads its organization, an
 * account in none gets AWSOrganizationsNotInUseException, and a session whose policies or SCPs do
 * not allow the call gets AccessDeniedException, as AWS answers them.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startIdentityEndpoint } from '#local/emulator/endpoint.ts';
import { createLocalIam, type LocalIam } from '#local/emulator/iam.ts';
import { instantiateCustomerTemplate } from '#local/emulator/instantiate.ts';
import { createLocalSts, type LocalSts, type PolicyDocument } from '#local/emulator/sts.ts';
import { createDescribeOrganization } from '#shared/clients/organizations.ts';
import {
  buildCustomerTemplate,
  POLICY_NAMES,
  resolveCustomerTemplateConfig,
  trustedPrincipalArns,
} from '#shared/customer-template/template.ts';
import { createMembershipChecker } from '#shared/onboarding/organization-membership.ts';
import { recordingTracer } from '../../support/xray.ts';

const PROVIDER = '999988887777';
const CUSTOMER = '111122223333';
const ORGANIZATION = 'o-acme000001';
const EXTERNAL_ID = 'keyless-acme-0123456789abcdef0123456789abcdef';
const config = resolveCustomerTemplateConfig({
  providerAccountId: PROVIDER,
  stage: 'local',
  regions: ['us-east-1'],
  providerName: 'Acme Analytics',
});
const [validatorRoleArn] = trustedPrincipalArns(config) as [string];
const role = instantiateCustomerTemplate(buildCustomerTemplate(config), {
  accountId: CUSTOMER,
  region: 'us-east-1',
  parameters: { ExternalId: EXTERNAL_ID, CustomerId: 'acme' },
}).role;
const policies = (without?: string) =>
  Object.fromEntries(
    role.policies
      .filter((p) => p.policyName !== without)
      .map((p) => [p.policyName, structuredClone(p.policyDocument) as PolicyDocument]),
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
  iam.setOrganization(CUSTOMER, ORGANIZATION);
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
const describeOrganization = () =>
  session().then(createDescribeOrganization({ region: 'us-east-1', endpoint: endpoint.url }));
const checker = createMembershipChecker({
  describeOrganization: (credentials) =>
    createDescribeOrganization({ region: 'us-east-1', endpoint: endpoint.url })(credentials),
  sleep: async () => undefined,
});

describe('DescribeOrganization on the local endpoint', () => {
  it("is traced as an Organizations subsegment when the validator's tracer captures its client", async () => {
    const { tracer, documents } = recordingTracer('role-validator');
    const credentials = await session();
    const lookup = await createDescribeOrganization({
      region: 'us-east-1',
      endpoint: endpoint.url,
      captureClient: (client) => tracer.captureAWSv3Client(client),
    })(credentials);
    expect(lookup).toMatchObject({ kind: 'member' });
    expect(documents).toEqual([
      expect.objectContaining({
        name: 'Organizations',
        namespace: 'aws',
        parent_id: '53995c3f42cd8ad8',
        aws: expect.objectContaining({ operation: 'DescribeOrganization' }),
        http: { response: expect.objectContaining({ status: 200 }) },
      }),
    ]);
    expect(JSON.stringify(documents)).not.toContain(credentials.SecretAccessKey);
  });

  it("answers a member account's session with its organization", async () => {
    expect(await describeOrganization()).toMatchObject({ kind: 'member', organizationId: ORGANIZATION });
  });

  it('answers AWSOrganizationsNotInUseException for an account in no organization', async () => {
    iam.setOrganization(CUSTOMER, undefined);
    expect(await describeOrganization()).toEqual({ kind: 'not-in-organization' });
  });

  it('answers AccessDeniedException when the role was not granted the call', async () => {
    await sts.putRole({
      arn: role.arn,
      trustPolicy: role.trustPolicy,
      policies: policies(POLICY_NAMES.selfCheck),
    });
    expect(await describeOrganization()).toMatchObject({
      kind: 'denied',
      message: expect.stringContaining('organizations:DescribeOrganization'),
    });
  });

  it('answers AccessDeniedException when a service control policy denies the call', async () => {
    iam.setDenyingScp(CUSTOMER, ['organizations:DescribeOrganization']);
    expect(await describeOrganization()).toMatchObject({
      kind: 'denied',
      message: expect.stringContaining('service control policy'),
    });
  });
});

describe('the membership checker against the local endpoint', () => {
  const bindNever = async () => ({ bound: false, boundTo: 'o-other00001' });

  it("proves a member of the setup's organization", async () => {
    const result = await checker.check({
      accountId: CUSTOMER,
      organizationId: ORGANIZATION,
      credentials: await session(),
      deadline: Date.now() + 60_000,
      bind: bindNever,
    });
    expect(result).toEqual({ ok: true, organizationId: ORGANIZATION });
  });

  it('refuses an account of another organization, naming both', async () => {
    iam.setOrganization(CUSTOMER, 'o-globex00001');
    const result = await checker.check({
      accountId: CUSTOMER,
      organizationId: ORGANIZATION,
      credentials: await session(),
      deadline: Date.now() + 60_000,
      bind: bindNever,
    });
    expect(result).toMatchObject({
      ok: false,
      proof: {
        conclusive: true,
        failureClass: 'not-in-organization',
        reason: expect.stringMatching(
          /^Account 111122223333 is not a member of organization o-acme000001 \(it belongs to o-globex00001\)/,
        ),
      },
    });
  });

  it('refuses an account in no organization', async () => {
    iam.setOrganization(CUSTOMER, undefined);
    const result = await checker.check({
      accountId: CUSTOMER,
      organizationId: ORGANIZATION,
      credentials: await session(),
      deadline: Date.now() + 60_000,
      bind: bindNever,
    });
    expect(result).toMatchObject({
      ok: false,
      proof: { reason: expect.stringContaining('is not a member of organization o-acme000001') },
    });
  });

  it('binds an unbound setup to the first member, and refuses when another organization bound it first', async () => {
    const credentials = await session();
    const bound: string[] = [];
    const first = await checker.check({
      accountId: CUSTOMER,
      organizationId: undefined,
      credentials,
      deadline: Date.now() + 60_000,
      bind: async (organizationId) => {
        bound.push(organizationId);
        return { bound: true };
      },
    });
    const lost = await checker.check({
      accountId: CUSTOMER,
      organizationId: undefined,
      credentials,
      deadline: Date.now() + 60_000,
      bind: bindNever,
    });
    expect(first).toEqual({ ok: true, organizationId: ORGANIZATION });
    expect(bound).toEqual([ORGANIZATION]);
    expect(lost).toMatchObject({
      ok: false,
      proof: { reason: expect.stringContaining('not a member of organization o-other00001') },
    });
  });
});
