/**
 * The example provider configs (examples/config/): each is valid, passes the permission checks,
 * and becomes a customer template whose role the IAM policy engine evaluates: an action the
 * example grants is allowed, one it does not grant is denied. (The engine sees the inline
 * policies; AWS managed policies are checked by reference, as IAM holds their documents.)
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { buildCustomerTemplate } from '#shared/customer-template/template.ts';
import { loadProviderConfig } from '#shared/provider-config/load.ts';
import { checkPermissions } from '#shared/provider-config/policy-checks.ts';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/KeylessAccess`;

/** The example's template, as a customer in us-east-1 would launch it. */
function templateOf(example: string) {
  const config = loadProviderConfig(`examples/config/${example}.json`);
  const template = buildCustomerTemplate({
    providerAccountId: '999988887777',
    stage: 'prod',
    regions: ['us-east-1'],
    providerName: config.providerName,
    permissions: config.permissions,
  });
  return { config, template, role: template.Resources.KeylessRole?.Properties as Record<string, unknown> };
}

/** Resolves the intrinsics the role's policies use, as CloudFormation would in the customer's stack. */
function resolve(value: unknown, setupPhase: boolean): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => resolve(item, setupPhase)).filter((item) => item !== NO_VALUE);
  }
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Fn::Sub' in object) {
      return String(object['Fn::Sub'])
        .replaceAll('${AWS::Partition}', 'aws')
        .replaceAll('${AWS::AccountId}', ACCOUNT)
        .replaceAll('${AWS::Region}', 'us-east-1');
    }
    if ('Fn::If' in object) {
      const [, whenTrue, whenFalse] = object['Fn::If'] as unknown[];
      return resolve(setupPhase ? whenTrue : whenFalse, setupPhase);
    }
    if (object.Ref === 'AWS::NoValue') return NO_VALUE;
    return Object.fromEntries(
      Object.entries(object).map(([key, inner]) => [key, resolve(inner, setupPhase)]),
    );
  }
  return value;
}
const NO_VALUE = Symbol('AWS::NoValue');

/** IAM's verdict on the role's own inline policies for one request. */
async function decide(
  example: string,
  {
    action,
    resource,
    tags = {},
    setupPhase = false,
  }: { action: string; resource: string; tags?: Record<string, string>; setupPhase?: boolean },
) {
  const { role } = templateOf(example);
  const policies = resolve(role.Policies, setupPhase) as { PolicyName: string; PolicyDocument: unknown }[];
  const result = await runSimulation(
    {
      request: {
        principal: ROLE,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: Object.fromEntries(
          Object.entries(tags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]),
        ),
      },
      identityPolicies: policies.map((policy) => ({
        name: policy.PolicyName,
        policy: policy.PolicyDocument,
      })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  // A "*" resource is evaluated for every resource type the action has ("wildcard").
  if (result.resultType !== 'single' && result.resultType !== 'wildcard') {
    throw new Error(`simulation failed: ${JSON.stringify(result)}`);
  }
  return result.overallResult;
}

describe.each(['security-scanner', 'cost-management', 'tagged-automation'])(
  'examples/config/%s.json',
  (example) => {
    it('is valid and passes the permission checks', async () => {
      const { config } = templateOf(example);
      expect((await checkPermissions(config)).errors).toEqual([]);
    });

    it("introduces the template and the role with the provider's own name", () => {
      const { config, template, role } = templateOf(example);
      expect(template.Description).toContain(config.providerName);
      expect(String(role.Description)).toContain(config.providerName);
    });
  },
);

describe('the security scanner', () => {
  it('attaches SecurityAudit and ViewOnlyAccess in the stack’s own partition', () => {
    expect(templateOf('security-scanner').role.ManagedPolicyArns).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/SecurityAudit' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/job-function/ViewOnlyAccess' },
    ]);
  });

  it('reads Security Hub findings and writes nothing', async () => {
    expect(await decide('security-scanner', { action: 'securityhub:GetFindings', resource: '*' })).toBe(
      'Allowed',
    );
    expect(await decide('security-scanner', { action: 's3:PutObject', resource: 'arn:aws:s3:::any/x' })).toBe(
      'ImplicitlyDenied',
    );
  });
});

describe('the cost-management tool', () => {
  it('reads costs and its own report bucket, and nothing else', async () => {
    expect(await decide('cost-management', { action: 'ce:GetCostAndUsage', resource: '*' })).toBe('Allowed');
    expect(
      await decide('cost-management', {
        action: 's3:GetObject',
        resource: `arn:aws:s3:::cur-${ACCOUNT}/2026/11.csv`,
      }),
    ).toBe('Allowed');
    expect(
      await decide('cost-management', { action: 's3:GetObject', resource: 'arn:aws:s3:::payroll/2026.csv' }),
    ).toBe('ImplicitlyDenied');
    expect(
      await decide('cost-management', { action: 'ce:DeleteCostCategoryDefinition', resource: '*' }),
    ).toBe('ImplicitlyDenied');
  });
});

describe('the automation tool', () => {
  const instance = `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`;

  it('stops only instances tagged for it', async () => {
    const tagged = { 'tidy-ops:managed': 'true' };
    expect(
      await decide('tagged-automation', { action: 'ec2:StopInstances', resource: instance, tags: tagged }),
    ).toBe('Allowed');
    expect(await decide('tagged-automation', { action: 'ec2:StopInstances', resource: instance })).toBe(
      'ImplicitlyDenied',
    );
    expect(
      await decide('tagged-automation', {
        action: 'ec2:TerminateInstances',
        resource: instance,
        tags: tagged,
      }),
    ).toBe('ImplicitlyDenied');
  });

  it('discovers tagged resources only while SetupPhase is on', async () => {
    expect(
      await decide('tagged-automation', { action: 'tag:GetResources', resource: '*', setupPhase: true }),
    ).toBe('Allowed');
    expect(await decide('tagged-automation', { action: 'tag:GetResources', resource: '*' })).toBe(
      'ImplicitlyDenied',
    );
  });
});
