/**
 * The Terraform module (docs/architecture.md §9.5), checked without Terraform: its files parse
 * with HashiCorp's HCL parser (@cdktf/hcl2json), its expressions are evaluated for a customer
 * account, and the role it creates is the CloudFormation template's — trust, permissions, tags and
 * session limit — with the trust policy evaluated by the IAM policy engine. `terraform apply`
 * itself is not run here.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { instantiateCustomerTemplate } from '#local/emulator/instantiate.ts';
import {
  type ParsedTerraformModule,
  planTerraformModule,
  TerraformPlanError,
} from '#local/emulator/terraform-module.ts';
import { renderTemplate } from '#shared/customer-template/cli.ts';
import type { CustomerTemplateConfig } from '#shared/customer-template/config.ts';
import {
  buildCustomerTemplate,
  POLICY_NAMES,
  resolveCustomerTemplateConfig,
  roleNamePrefix,
} from '#shared/customer-template/template.ts';
import {
  buildTerraformModule,
  TERRAFORM_FILES,
  TERRAFORM_SOURCE_TAG,
  type TerraformModule,
} from '#shared/customer-template/terraform.ts';
import { templateConfigOf } from '#shared/customer-template/version-history.ts';
import { generateExternalId } from '#shared/domain/external-id.ts';
import { terraformRegistrationInputSchema } from '#shared/onboarding/terraform-payload.ts';
import { loadProviderConfig } from '#shared/provider-config/load.ts';

const PROVIDER = '111111111111';
const CUSTOMER = '222222222222';
const ATTACKER = '333333333333';
const SETUP_ID = '0b5e7a9c-6f0e-4c57-9d2e-1a2b3c4d5e6f';
const externalId = generateExternalId('acme-corp');

const configOf = (example?: string, extra: Partial<CustomerTemplateConfig> = {}): CustomerTemplateConfig => ({
  providerAccountId: PROVIDER,
  stage: 'prod',
  regions: ['us-east-1', 'eu-west-1'],
  ...templateConfigOf(loadProviderConfig(example ? `examples/config/${example}.json` : undefined)),
  templateVersion: 4,
  ...extra,
});

/** The module's files, parsed and merged as Terraform reads a directory. */
async function parsed(module: TerraformModule): Promise<ParsedTerraformModule> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const file of TERRAFORM_FILES) {
    for (const [kind, blocks] of Object.entries(await parse(file, module[file])))
      merged[kind] = Array.isArray(blocks)
        ? ([...((merged[kind] as unknown as unknown[]) ?? []), ...blocks] as unknown as Record<
            string,
            unknown
          >)
        : { ...merged[kind], ...(blocks as Record<string, unknown>) };
  }
  return merged as ParsedTerraformModule;
}

interface Inputs {
  setupPhase?: boolean;
  allowedSourceIp?: string;
  /** The role's name after the provider's prefix. */
  roleSuffix?: string;
}

/** The module planned in the customer account, and the template instantiated with the same inputs. */
async function both(
  config: CustomerTemplateConfig,
  inputs: Inputs = {},
  partition: 'aws' | 'aws-cn' = 'aws',
) {
  const module = buildTerraformModule(config, { homeRegion: 'eu-west-1' });
  const roleName = inputs.roleSuffix
    ? `${roleNamePrefix(resolveCustomerTemplateConfig(config))}${inputs.roleSuffix}`
    : undefined;
  const plan = planTerraformModule(await parsed(module), {
    accountId: CUSTOMER,
    region: 'us-east-1',
    partition,
    variables: {
      customer_id: 'acme-corp',
      external_id: externalId,
      setup_id: SETUP_ID,
      ...(inputs.setupPhase === undefined ? {} : { setup_phase: String(inputs.setupPhase) }),
      ...(inputs.allowedSourceIp ? { allowed_source_ip: inputs.allowedSourceIp } : {}),
      ...(roleName ? { role_name: roleName } : {}),
    },
  });
  const stack = instantiateCustomerTemplate(buildCustomerTemplate(config), {
    accountId: CUSTOMER,
    region: 'us-east-1',
    partition,
    parameters: {
      ExternalId: externalId,
      CustomerId: 'acme-corp',
      ...(inputs.setupPhase === undefined ? {} : { SetupPhase: String(inputs.setupPhase) }),
      ...(inputs.allowedSourceIp ? { AllowedSourceIp: inputs.allowedSourceIp } : {}),
      ...(roleName ? { RoleName: roleName } : {}),
    },
  });
  return { module, plan, stack };
}

/** The template's inline policies, less the statements naming the stack itself (ReadThisStack). */
function stackPoliciesForTerraform(stack: ReturnType<typeof instantiateCustomerTemplate>) {
  const policies: Record<string, unknown> = {};
  for (const { policyName, policyDocument } of stack.role.policies) {
    const kept = policyDocument.Statement.filter(
      (statement) => !JSON.stringify(statement).includes(stack.stackId),
    );
    if (kept.length > 0) policies[policyName] = { ...policyDocument, Statement: kept };
  }
  return policies;
}

const session = (account: string, roleName: string) =>
  `arn:aws:sts::${account}:assumed-role/${roleName}/keyless-acme-corp-1767225600`;
const VALIDATOR = session(PROVIDER, 'keyless-prod-role-validator');
const BROKER = session(PROVIDER, 'keyless-prod-credential-broker');

/** The IAM engine's decision on a cross-account request against a trust policy. */
async function decide(
  trustPolicy: unknown,
  roleArn: string,
  {
    principal,
    externalId: given,
    sourceIp,
    action = 'sts:AssumeRole',
  }: {
    principal: string;
    externalId?: string;
    sourceIp?: string;
    action?: string;
  },
) {
  const result = await runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource: roleArn, accountId: CUSTOMER },
        contextVariables: {
          'aws:PrincipalArn': principal.replace(
            /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.+$/,
            'arn:aws:iam::$1:role/$2',
          ),
          'aws:PrincipalAccount': principal.split(':')[4] ?? '',
          ...(given === undefined ? {} : { 'sts:ExternalId': given }),
          ...(sourceIp === undefined ? {} : { 'aws:SourceIp': sourceIp }),
        },
      },
      identityPolicies: [
        {
          name: 'caller',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] },
        },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: trustPolicy,
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(result.errors.message);
  return result.overallResult;
}

describe('buildTerraformModule', () => {
  it('writes main.tf, variables.tf, outputs.tf and versions.tf, each parsed by the HCL parser', async () => {
    const module = buildTerraformModule(configOf(), { homeRegion: 'eu-west-1' });
    expect(Object.keys(module).sort()).toEqual([...TERRAFORM_FILES].sort());
    for (const file of TERRAFORM_FILES) await expect(parse(file, module[file])).resolves.toBeTypeOf('object');
    const versions = (await parse('versions.tf', module['versions.tf'])) as {
      terraform: { required_providers: { aws: { source: string; version: string } }[] }[];
    };
    expect(versions.terraform[0]?.required_providers[0]?.aws).toEqual({
      source: 'hashicorp/aws',
      version: '>= 6.0',
    });
  });

  it('declares the template parameters as variables, plus setup_id and the registration function', async () => {
    const { variable } = await parsed(buildTerraformModule(configOf(), { homeRegion: 'eu-west-1' }));
    expect(Object.keys(variable ?? {}).sort()).toEqual([
      'allowed_source_ip',
      'customer_id',
      'external_id',
      'registration_function_arn',
      'role_name',
      'setup_id',
      'setup_phase',
    ]);
    expect(variable?.role_name?.[0]?.default).toBe('KeylessAccess');
    expect(variable?.setup_phase?.[0]?.default).toBe(false);
    expect(variable?.registration_function_arn?.[0]?.default).toBe(
      `arn:aws:lambda:eu-west-1:${PROVIDER}:function:keyless-prod-terraform-registration`,
    );
  });

  it.each([
    [{ customer_id: '-acme' }, /customer_id must be 1–128 letters/],
    [{ external_id: 'x' }, /external_id must be 2–1224 characters/],
    [{ external_id: 'has space' }, /external_id must be 2–1224 characters/],
    [{ role_name: 'OtherAccess' }, /role_name must be "Keyless" followed by/],
    [{ allowed_source_ip: '10.0.0.0' }, /allowed_source_ip must be empty, or an IPv4 CIDR/],
    [{ setup_id: 'not-a-uuid' }, /setup_id must be the UUID/],
    [{ setup_phase: 'yes' }, /setup_phase must be true or false/],
  ])('refuses %j as the template parameters’ constraints do', async (bad, says) => {
    const module = await parsed(buildTerraformModule(configOf(), { homeRegion: 'eu-west-1' }));
    const variables = { customer_id: 'acme-corp', external_id: externalId, setup_id: SETUP_ID, ...bad };
    expect(() =>
      planTerraformModule(module, { accountId: CUSTOMER, region: 'us-east-1', variables }),
    ).toThrow(says);
    expect(() =>
      planTerraformModule(module, {
        accountId: CUSTOMER,
        region: 'us-east-1',
        variables: { customer_id: 'a' },
      }),
    ).toThrow(TerraformPlanError);
  });

  it('uses the provider config’s name and role name prefix as the template does', async () => {
    const config = configOf(undefined, { providerName: 'Acme Analytics', roleNamePrefix: 'AcmeX' });
    const { module, plan, stack } = await both(config);
    expect(module['variables.tf']).toContain('Your customer id at Acme Analytics.');
    expect(plan.role.name).toBe('AcmeXAccess');
    expect(plan.role.arn).toBe(stack.role.arn);
  });
});

describe.each([
  ['keyless.config.json', undefined],
  ['security-scanner', 'security-scanner'],
  ['cost-management', 'cost-management'],
  ['tagged-automation', 'tagged-automation'],
])('the module of %s', (_, example) => {
  it.each([
    ['by default', {}],
    [
      'in the setup phase, from one source IP range, under another name',
      {
        setupPhase: true,
        allowedSourceIp: '203.0.113.0/24',
        roleName: 'KeylessReports',
      },
    ],
  ] as const)('creates the CloudFormation template’s role %s', async (_what, inputs) => {
    for (const partition of ['aws', 'aws-cn'] as const) {
      const { plan, stack } = await both(configOf(example), inputs, partition);
      expect(plan.role.arn).toBe(stack.role.arn);
      expect(plan.role.trustPolicy).toEqual(stack.role.trustPolicy);
      expect(plan.role.policies).toEqual(stackPoliciesForTerraform(stack));
      expect(plan.role.managedPolicyArns.sort()).toEqual([...stack.role.managedPolicyArns].sort());
      expect(plan.role.tags).toEqual({ ...stack.role.tags, [TERRAFORM_SOURCE_TAG.Key]: 'terraform' });
      expect(plan.role.maxSessionDuration).toBe(stack.role.maxSessionDuration);
    }
  });
});

describe('the module’s permissions', () => {
  it('grants the setup-phase policy only with setup_phase, and the self-check on the role’s own ARN', async () => {
    const off = (await both(configOf())).plan.role.policies;
    const on = (await both(configOf(), { setupPhase: true })).plan.role.policies;
    expect(Object.keys(off)).toEqual([POLICY_NAMES.ongoing, POLICY_NAMES.selfCheck]);
    expect(Object.keys(on).sort()).toEqual(
      [POLICY_NAMES.ongoing, POLICY_NAMES.setup, POLICY_NAMES.selfCheck].sort(),
    );
    expect(off[POLICY_NAMES.selfCheck]?.Statement).toEqual([
      {
        Sid: 'SimulateOwnPermissions',
        Effect: 'Allow',
        Action: 'iam:SimulatePrincipalPolicy',
        Resource: `arn:aws:iam::${CUSTOMER}:role/KeylessAccess`,
      },
      {
        Sid: 'DescribeOwnOrganization',
        Effect: 'Allow',
        Action: 'organizations:DescribeOrganization',
        Resource: '*',
      },
    ]);
  });

  it('leaves out ReadThisStack, which names the CloudFormation stack, and says so', async () => {
    const { module, plan } = await both(configOf(), { setupPhase: true });
    expect(JSON.stringify(plan.role.policies)).not.toContain('ReadThisStack');
    expect(module['main.tf']).toContain('names the CloudFormation stack a module has none of: ReadThisStack');
  });

  it('attaches setup-phase managed policies only with setup_phase, in the account’s partition', async () => {
    const config = configOf(undefined, {
      permissions: {
        ongoing: { managedPolicyArns: ['arn:aws:iam::aws:policy/SecurityAudit'], statements: [] },
        setupPhase: { managedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'], statements: [] },
      },
    });
    expect((await both(config, {}, 'aws-cn')).plan.role.managedPolicyArns).toEqual([
      'arn:aws-cn:iam::aws:policy/SecurityAudit',
    ]);
    expect((await both(config, { setupPhase: true })).plan.role.managedPolicyArns).toEqual([
      'arn:aws:iam::aws:policy/SecurityAudit',
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
    ]);
  });
});

describe('the module’s trust policy, evaluated by the IAM engine', () => {
  it.each([
    ['the validator role', VALIDATOR],
    ['the broker role', BROKER],
  ])('lets %s assume the role with the External ID', async (_, principal) => {
    const { plan } = await both(configOf());
    expect(await decide(plan.role.trustPolicy, plan.role.arn, { principal, externalId })).toBe('Allowed');
    expect(
      await decide(plan.role.trustPolicy, plan.role.arn, { principal, externalId, action: 'sts:TagSession' }),
    ).toBe('Allowed');
  });

  it('refuses the provider roles without the External ID or with another', async () => {
    const { plan } = await both(configOf());
    expect(await decide(plan.role.trustPolicy, plan.role.arn, { principal: VALIDATOR })).toBe(
      'ImplicitlyDenied',
    );
    for (const other of [generateExternalId('acme-corp'), `${externalId}0`, ''])
      expect(
        await decide(plan.role.trustPolicy, plan.role.arn, { principal: BROKER, externalId: other }),
      ).toBe('ImplicitlyDenied');
  });

  it.each([
    ['another role of the provider account', session(PROVIDER, 'keyless-prod-setup-api')],
    ['a role of the same name in another account', session(ATTACKER, 'keyless-prod-role-validator')],
    ['the provider account root user', `arn:aws:iam::${PROVIDER}:root`],
  ])('refuses %s even with the External ID', async (_, principal) => {
    const { plan } = await both(configOf());
    expect(await decide(plan.role.trustPolicy, plan.role.arn, { principal, externalId })).toBe(
      'ImplicitlyDenied',
    );
  });

  it('with allowed_source_ip, refuses calls from outside the range', async () => {
    const { plan } = await both(configOf(), { allowedSourceIp: '203.0.113.0/24' });
    const ask = (sourceIp: string) =>
      decide(plan.role.trustPolicy, plan.role.arn, { principal: VALIDATOR, externalId, sourceIp });
    expect(await ask('203.0.113.17')).toBe('Allowed');
    expect(await ask('198.51.100.7')).toBe('ImplicitlyDenied');
  });
});

describe('the module’s registration', () => {
  it('invokes the home region’s terraform-registration function with the CRUD lifecycle', async () => {
    const { plan } = await both(configOf());
    expect(plan.registration).toMatchObject({
      functionName: `arn:aws:lambda:eu-west-1:${PROVIDER}:function:keyless-prod-terraform-registration`,
      region: 'eu-west-1',
      lifecycleScope: 'CRUD',
    });
  });

  it('sends the input the handler’s schema accepts: customer, setup, External ID, role ARN, version', async () => {
    const { plan } = await both(configOf());
    expect(terraformRegistrationInputSchema.parse(plan.registration.input)).toEqual({
      customerId: 'acme-corp',
      setupId: SETUP_ID,
      externalId,
      roleArn: `arn:aws:iam::${CUSTOMER}:role/KeylessAccess`,
      templateVersion: '4',
    });
  });

  it('depends on the role and every policy, so they exist before the provider validates them', async () => {
    const config = configOf('security-scanner');
    const { resource } = await parsed(buildTerraformModule(config, { homeRegion: 'eu-west-1' }));
    const invocation = resource?.aws_lambda_invocation?.registration?.[0] as { depends_on: string[] };
    expect(invocation.depends_on).toEqual([
      '${aws_iam_role.this}',
      '${aws_iam_role_policy.ongoing_access}',
      '${aws_iam_role_policy.permission_self_check}',
      '${aws_iam_role_policy_attachment.ongoing}',
    ]);
  });
});

describe('npm run -s template -- --format terraform', () => {
  const env = { PROVIDER_ACCOUNT_ID: PROVIDER };

  it('writes the module to --out and prints nothing', () => {
    const out = mkdtempSync(join(tmpdir(), 'keyless-tf-'));
    const text = renderTemplate(['--format', 'terraform', '--stage', 'prod', '--out', out], env);
    expect(text).toBe('');
    expect(readdirSync(out).sort()).toEqual([...TERRAFORM_FILES].sort());
    expect(readFileSync(join(out, 'main.tf'), 'utf8')).toContain('lifecycle_scope = "CRUD"');
  });

  it('refuses without --out: a module is four files', () => {
    expect(() => renderTemplate(['--format', 'terraform'], env)).toThrow(/give --out <dir>/);
  });
});
