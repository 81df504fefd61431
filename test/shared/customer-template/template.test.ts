import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { instantiateCustomerTemplate, TemplateInstantiationError } from '#local/emulator/instantiate.ts';
import { customerRoleArnPattern } from '#shared/customer-template/names.ts';
import { buildCustomerTemplate, LOGICAL_IDS, POLICY_NAMES } from '#shared/customer-template/template.ts';
import { generateExternalId } from '#shared/domain/external-id.ts';
import { customerIdSchema } from '#shared/domain/identifiers.ts';
import { EXTERNAL_ID_PATTERN, ROLE_MAX_SESSION_SECONDS } from '#shared/domain/sts-limits.ts';

const PROVIDER = '111111111111';
const CUSTOMER = '222222222222';
const config = { providerAccountId: PROVIDER, stage: 'dev', regions: ['us-east-1', 'eu-west-1'] };
const externalId = generateExternalId('acme-corp');
/** CloudFormation matches AllowedPattern against the whole value. */
const allowed = (pattern: string | undefined, value: string) => new RegExp(`^(?:${pattern})$`).test(value);

describe('buildCustomerTemplate', () => {
  describe('parameters', () => {
    const { Parameters } = buildCustomerTemplate(config);

    it('lets the launch URL pre-fill the External ID and accepts exactly what STS accepts', () => {
      const parameter = Parameters.ExternalId!;
      // The console ignores quick-create values for NoEcho parameters.
      expect(parameter.NoEcho).toBeUndefined();
      const samples = [
        'ab',
        'a',
        'x'.repeat(1224),
        'x'.repeat(1225),
        'a b',
        'a:b/c=d,e.f@g+h-_',
        'ab\n',
        'é1',
        externalId,
      ];
      for (const sample of samples)
        expect(allowed(parameter.AllowedPattern, sample)).toBe(EXTERNAL_ID_PATTERN.test(sample));
    });

    it('accepts every External ID the provider generates', () => {
      for (const customerId of ['acme-corp', 'a', 'Ünïcode Customer', 'x'.repeat(128)]) {
        expect(allowed(Parameters.ExternalId!.AllowedPattern, generateExternalId(customerId))).toBe(true);
      }
    });

    it('accepts exactly the customer ids the setup API accepts', () => {
      const samples = [
        'acme-corp',
        'a',
        'A.b@c+d=e:f_g-h',
        '-acme',
        'acme/corp',
        'acme#1',
        'x'.repeat(128),
        'x'.repeat(129),
      ];
      for (const sample of samples) {
        expect(allowed(Parameters.CustomerId!.AllowedPattern, sample)).toBe(
          customerIdSchema.safeParse(sample).success,
        );
      }
    });

    it('names the role KeylessAccess by default (the provider named Keyless) and only allows names the provider roles may assume', () => {
      const roleName = Parameters.RoleName!;
      expect(roleName.Default).toBe('KeylessAccess');
      expect(allowed(roleName.AllowedPattern, 'KeylessAccess')).toBe(true);
      expect(allowed(roleName.AllowedPattern, 'Keyless-prod_1')).toBe(true);
      expect(allowed(roleName.AllowedPattern, 'AdminRole')).toBe(false);
      expect(allowed(roleName.AllowedPattern, `Keyless${'x'.repeat(58)}`)).toBe(false);
      expect(customerRoleArnPattern('aws')).toBe('arn:aws:iam::*:role/Keyless*');
    });

    it('offers SetupPhase as true or false, false by default', () => {
      expect(Parameters.SetupPhase).toMatchObject({ AllowedValues: ['true', 'false'], Default: 'false' });
    });

    it('makes AllowedSourceIp optional and checks it is an IPv4 CIDR', () => {
      const parameter = Parameters.AllowedSourceIp!;
      expect(parameter.Default).toBe('');
      for (const good of ['', '203.0.113.0/24', '10.0.0.1/32'])
        expect(allowed(parameter.AllowedPattern, good)).toBe(true);
      for (const bad of ['203.0.113.0', '256.0.0.1/8', '10.0.0.0/33', 'any']) {
        expect(allowed(parameter.AllowedPattern, bad)).toBe(false);
      }
    });
  });

  describe('role', () => {
    it('limits sessions to one hour', () => {
      const role = buildCustomerTemplate(config).Resources[LOGICAL_IDS.role]!;
      expect(role.Type).toBe('AWS::IAM::Role');
      expect(role.Properties.MaxSessionDuration).toBe(ROLE_MAX_SESSION_SECONDS);
      expect(ROLE_MAX_SESSION_SECONDS).toBe(3600);
    });

    it('trusts the provider account narrowed to its validator and broker roles, with the External ID', () => {
      const stack = instantiateCustomerTemplate(buildCustomerTemplate(config), {
        accountId: CUSTOMER,
        region: 'us-east-1',
        parameters: { ExternalId: externalId, CustomerId: 'acme-corp' },
      });
      const providerRoles = {
        'aws:PrincipalArn': [
          `arn:aws:iam::${PROVIDER}:role/keyless-dev-role-validator`,
          `arn:aws:iam::${PROVIDER}:role/keyless-dev-credential-broker`,
        ],
      };
      expect(stack.role.trustPolicy.Statement).toEqual([
        {
          Sid: 'ProviderRolesWithExternalIdOnly',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${PROVIDER}:root` },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': externalId }, ArnEquals: providerRoles },
        },
        {
          Sid: 'ProviderRolesSessionAttribution',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${PROVIDER}:root` },
          Action: ['sts:SetSourceIdentity', 'sts:TagSession'],
          Condition: { ArnEquals: providerRoles },
        },
      ]);
    });

    it('adds the aws:SourceIp condition only when AllowedSourceIp is given', () => {
      const stack = instantiateCustomerTemplate(buildCustomerTemplate(config), {
        accountId: CUSTOMER,
        region: 'us-east-1',
        parameters: { ExternalId: externalId, CustomerId: 'acme-corp', AllowedSourceIp: '203.0.113.0/24' },
      });
      for (const statement of stack.role.trustPolicy.Statement) {
        expect(statement.Condition).toMatchObject({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } });
      }
    });

    it('has the ongoing policy always and the setup-phase policy only while SetupPhase is true', () => {
      const template = buildCustomerTemplate(config);
      const policiesWith = (SetupPhase: string) =>
        instantiateCustomerTemplate(template, {
          accountId: CUSTOMER,
          region: 'us-east-1',
          parameters: { ExternalId: externalId, CustomerId: 'acme-corp', SetupPhase },
        }).role.policies.map((policy) => policy.policyName);
      expect(policiesWith('true')).toEqual([
        POLICY_NAMES.ongoing,
        POLICY_NAMES.setup,
        POLICY_NAMES.selfCheck,
      ]);
      expect(policiesWith('false')).toEqual([POLICY_NAMES.ongoing, POLICY_NAMES.selfCheck]);
    });

    it('lets the role ask the policy simulator about itself and read its own organization, and nothing else', () => {
      const stack = instantiateCustomerTemplate(buildCustomerTemplate(config), {
        accountId: CUSTOMER,
        region: 'us-east-1',
        parameters: { ExternalId: externalId, CustomerId: 'acme-corp', RoleName: 'KeylessReader' },
      });
      const selfCheck = stack.role.policies.find((policy) => policy.policyName === POLICY_NAMES.selfCheck);
      expect(selfCheck?.policyDocument.Statement).toEqual([
        {
          Sid: 'SimulateOwnPermissions',
          Effect: 'Allow',
          Action: 'iam:SimulatePrincipalPolicy',
          Resource: `arn:aws:iam::${CUSTOMER}:role/KeylessReader`,
        },
        {
          Sid: 'DescribeOwnOrganization',
          Effect: 'Allow',
          Action: 'organizations:DescribeOrganization',
          Resource: '*',
        },
      ]);
    });

    it('scopes the default ongoing policy to read-only actions on resources the customer tagged', () => {
      const stack = instantiateCustomerTemplate(buildCustomerTemplate(config), {
        accountId: CUSTOMER,
        region: 'us-east-1',
        parameters: { ExternalId: externalId, CustomerId: 'acme-corp' },
      });
      const statement = stack.role.policies[0]!.policyDocument.Statement[0]!;
      expect(statement.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/keyless:access': 'read' } });
      for (const action of statement.Action as string[]) expect(action).toMatch(/:(Get|Describe)/);
      for (const resource of statement.Resource as string[]) expect(resource).toContain(`:${CUSTOMER}:`);
    });

    it('uses the configured statements instead of the defaults', () => {
      const ongoing = {
        Effect: 'Allow' as const,
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::reports/*',
      };
      const stack = instantiateCustomerTemplate(
        buildCustomerTemplate({ ...config, ongoingPolicyStatements: [ongoing] }),
        {
          accountId: CUSTOMER,
          region: 'us-east-1',
          parameters: { ExternalId: externalId, CustomerId: 'acme-corp' },
        },
      );
      expect(stack.role.policies[0]?.policyDocument.Statement).toEqual([ongoing]);
    });
  });

  describe('registration', () => {
    const template = buildCustomerTemplate(config);
    const registration = template.Resources[LOGICAL_IDS.registration]!;

    it('is a Custom::KeylessRegistration retained on replacement and created after the role', () => {
      expect(registration.Type).toBe('Custom::KeylessRegistration');
      expect(registration.UpdateReplacePolicy).toBe('Retain');
      expect(registration.DependsOn).toEqual([LOGICAL_IDS.role]);
    });

    it("sends CustomerId, ExternalId, RoleArn and TemplateVersion to the topic of the stack's region", () => {
      const stack = instantiateCustomerTemplate(template, {
        accountId: CUSTOMER,
        region: 'eu-west-1',
        parameters: { ExternalId: externalId, CustomerId: 'acme-corp', RoleName: 'KeylessReports' },
      });
      expect(stack.registration).toEqual({
        serviceToken: `arn:aws:sns:eu-west-1:${PROVIDER}:keyless-dev-registrations`,
        properties: {
          ServiceTimeout: 900,
          CustomerId: 'acme-corp',
          ExternalId: externalId,
          RoleArn: `arn:aws:iam::${CUSTOMER}:role/KeylessReports`,
          TemplateVersion: '1',
        },
      });
      expect(stack.outputs).toEqual({ RoleArn: `arn:aws:iam::${CUSTOMER}:role/KeylessReports` });
    });

    it('bounds how long the customer stack waits with ServiceTimeout', () => {
      const custom = buildCustomerTemplate({ ...config, serviceTimeoutSeconds: 300 });
      expect(custom.Resources[LOGICAL_IDS.registration]?.Properties.ServiceTimeout).toBe(300);
      expect(() => buildCustomerTemplate({ ...config, serviceTimeoutSeconds: 7200 })).toThrow(
        z.core.$ZodError,
      );
    });

    it('cannot be launched in a region without a registration topic', () => {
      const launch = () =>
        instantiateCustomerTemplate(template, {
          accountId: CUSTOMER,
          region: 'ap-south-1',
          parameters: { ExternalId: externalId, CustomerId: 'acme-corp' },
        });
      expect(launch).toThrow(TemplateInstantiationError);
      expect(launch).toThrow(/KeylessRegistrationTopics\.ap-south-1/);
    });
  });

  describe('config', () => {
    it.each([
      ['an account id that is not 12 digits', { providerAccountId: '1234' }, /providerAccountId/],
      ['a stage with upper-case letters', { stage: 'Prod' }, /stage/],
      ['no region', { regions: [] }, /regions/],
      ['a repeated region', { regions: ['us-east-1', 'us-east-1'] }, /regions/],
      ['a malformed region', { regions: ['mars-1'] }, /regions/],
    ])('rejects %s', (_, override, field) => {
      expect(() => buildCustomerTemplate({ ...config, ...override })).toThrow(field);
    });

    it('accepts a CDK token for the account, resolved when the stack publishes the template', () => {
      const token = `\${Token[AWS.AccountId.7]}`;
      const template = buildCustomerTemplate({ ...config, providerAccountId: token });
      expect(JSON.stringify(template)).toContain(`arn:aws:iam::${token}:root`);
    });
  });
});

describe('buildCustomerTemplate for a provider of its own name', () => {
  const template = buildCustomerTemplate({ ...config, providerName: 'Acme Analytics', templateVersion: 4 });
  const role = template.Resources[LOGICAL_IDS.role]!.Properties;

  it('introduces the provider by its name in the description, the role and the outputs', () => {
    expect(template.Description).toMatch(/^Lets Acme Analytics reach this AWS account/);
    expect(template.Description).toContain('(template v4)');
    expect(role.Description).toBe(
      "Assumed by Acme Analytics, only with this stack's External ID. Delete the stack to revoke.",
    );
    expect(template.Outputs.RoleArn?.Description).toContain('Acme Analytics');
  });

  it('names what it creates in the customer account after the provider: role name and its constraint', () => {
    const roleName = template.Parameters.RoleName!;
    expect(roleName.Default).toBe('AcmeAnalyticsAccess');
    expect(allowed(roleName.AllowedPattern, 'AcmeAnalyticsAccess')).toBe(true);
    expect(allowed(roleName.AllowedPattern, 'KeylessAccess')).toBe(false);
    expect(roleName.Description).toContain('"AcmeAnalytics"');
  });

  it('has no text a customer reads, and no name it creates, that says Keyless: only the resource type and tag keys', () => {
    // Every text of the template, and the names of what the stack creates in the customer's account.
    const texts: string[] = [
      template.Description,
      JSON.stringify(template.Metadata),
      ...Object.values(template.Parameters).flatMap((p) => [
        p.Description,
        p.Default ?? '',
        p.ConstraintDescription ?? '',
      ]),
      String(role.Description),
      JSON.stringify(role.Policies),
      ...Object.values(template.Outputs).map((output) => output.Description),
    ];
    expect(texts.filter((text) => /keyless/i.test(text.replaceAll('keyless:', '')))).toEqual([]);
    // The tag keys and the custom resource's type are the product's, by design.
    expect(JSON.stringify(role.Tags)).toContain('keyless:customer-id');
    expect(template.Resources[LOGICAL_IDS.registration]!.Type).toBe('Custom::KeylessRegistration');
  });
});

describe('instantiateCustomerTemplate', () => {
  const template = buildCustomerTemplate(config);
  const launch = (parameters: Record<string, string>) => () =>
    instantiateCustomerTemplate(template, { accountId: CUSTOMER, region: 'us-east-1', parameters });

  it('refuses an External ID outside the STS limits without echoing it', () => {
    expect(launch({ ExternalId: 'has spaces in it', CustomerId: 'acme' })).toThrow(
      /Parameter ExternalId must be/,
    );
    expect(launch({ ExternalId: 'has spaces in it', CustomerId: 'acme' })).not.toThrow(/has spaces/);
  });

  it('refuses a missing required parameter and an unknown one', () => {
    expect(launch({ CustomerId: 'acme' })).toThrow(/Parameter ExternalId needs a value/);
    expect(launch({ ExternalId: externalId, CustomerId: 'acme', Admin: 'true' })).toThrow(
      /Unknown parameters: Admin/,
    );
  });

  it('refuses a SetupPhase other than true or false', () => {
    expect(launch({ ExternalId: externalId, CustomerId: 'acme', SetupPhase: 'yes' })).toThrow(/SetupPhase/);
  });
});
