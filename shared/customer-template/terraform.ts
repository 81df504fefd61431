/**
 * The Terraform module a customer applies instead of the CloudFormation template
 * (docs/architecture.md §9.5): the same role, rendered from the same definition (role-definition.ts),
 * and an `aws_lambda_invocation` with `lifecycle_scope = "CRUD"` that registers the role on apply,
 * re-registers it when the role or External ID changes, and revokes it on destroy.
 * Pure code: returns the four files as text; `cli.ts` writes them.
 */
import { SETUP_ID_PATTERN_BODY } from '../domain/identifiers.ts';
import type { CustomerTemplateConfig, PolicyStatement } from './config.ts';
import { TERRAFORM_REGISTRATION_FUNCTION, terraformRegistrationFunctionArn } from './names.ts';
import {
  type CustomerRoleDefinition,
  customerRoleDefinition,
  PARAMETERS,
  type ParameterName,
  POLICY_NAMES,
  type RoleInput,
  resolveCustomerTemplateConfig,
} from './role-definition.ts';

export const TERRAFORM_FILES = ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf'] as const;
export type TerraformModule = Record<(typeof TERRAFORM_FILES)[number], string>;

/** The module's variables, by the template parameter each mirrors. */
export const TERRAFORM_VARIABLES: Record<ParameterName, string> = {
  [PARAMETERS.externalId]: 'external_id',
  [PARAMETERS.customerId]: 'customer_id',
  [PARAMETERS.roleName]: 'role_name',
  [PARAMETERS.setupPhase]: 'setup_phase',
  [PARAMETERS.allowedSourceIp]: 'allowed_source_ip',
};

/** The module's resource addresses the local player and the tests read. */
export const TERRAFORM_ADDRESSES = {
  role: 'aws_iam_role.this',
  registration: 'aws_lambda_invocation.registration',
} as const;

/** The tag that tells a Terraform-made role from a stack's. */
export const TERRAFORM_SOURCE_TAG = { Key: 'keyless:source', Value: 'terraform' } as const;

/** CloudFormation pseudo parameters and the Terraform data source attribute each becomes. */
const PSEUDO: Record<string, { data: string; expression: string }> = {
  'AWS::Partition': { data: 'aws_partition', expression: 'data.aws_partition.current.partition' },
  'AWS::URLSuffix': { data: 'aws_partition', expression: 'data.aws_partition.current.dns_suffix' },
  'AWS::AccountId': {
    data: 'aws_caller_identity',
    expression: 'data.aws_caller_identity.current.account_id',
  },
  // Provider 6 names it `region` (`name` is deprecated).
  'AWS::Region': { data: 'aws_region', expression: 'data.aws_region.current.region' },
};
/** What only a CloudFormation stack has: statements naming it are left out of the module. */
const STACK_ONLY = /\$\{AWS::Stack(Id|Name)\}|"Ref":"AWS::Stack(Id|Name)"/;

export class TerraformRenderError extends Error {
  override readonly name = 'TerraformRenderError';
}

/** An HCL quoted string: JSON's escapes are HCL's, and `${` / `%{` are escaped as templates need. */
export function hclString(value: string): string {
  return JSON.stringify(value).replaceAll('${', '$${').replaceAll('%{', '%%{');
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const hclKey = (key: string) => (IDENTIFIER.test(key) ? key : hclString(key));
/** Indents every line but the first, leaving empty lines empty. */
const indent = (text: string, by = '  ') =>
  text
    .split('\n')
    .map((line, index) => (index === 0 || line === '' ? line : `${by}${line}`))
    .join('\n');

/** Attributes `key = value`, their `=` aligned over each run of one-line values, as `terraform fmt` does. */
function attributes(entries: readonly (readonly [string, string])[]): string {
  const lines: string[] = [];
  let run: (readonly [string, string])[] = [];
  const flush = () => {
    const width = Math.max(0, ...run.map(([key]) => key.length));
    for (const [key, value] of run) lines.push(`${key.padEnd(width)} = ${value}`);
    run = [];
  };
  for (const entry of entries) {
    run.push(entry);
    if (entry[1].includes('\n')) flush();
  }
  flush();
  return lines.join('\n');
}

const block = (header: string, body: string) =>
  body === '' ? `${header} {}` : `${header} {\n  ${indent(body)}\n}`;

/** An HCL expression written as it is (a reference, a function call). */
class Expression {
  constructor(readonly text: string) {}
}

class Renderer {
  readonly dataSources = new Set<string>(['aws_partition']);

  /** `${AWS::X}` and `${Parameter}` of an Fn::Sub string, as an HCL template. */
  sub(template: string): string {
    const parts = template.split(/(\$\{[\w:!]+\})/);
    return `"${parts
      .map((part) => {
        const name = /^\$\{([\w:!]+)\}$/.exec(part)?.[1];
        if (name === undefined) return hclString(part).slice(1, -1);
        return `\${${this.reference(name)}}`;
      })
      .join('')}"`;
  }

  reference(name: string): string {
    const pseudo = PSEUDO[name];
    if (pseudo) {
      this.dataSources.add(pseudo.data);
      return pseudo.expression;
    }
    const variable = TERRAFORM_VARIABLES[name as ParameterName];
    if (variable && name !== PARAMETERS.setupPhase) return `var.${variable}`;
    throw new TerraformRenderError(`${name} has no Terraform equivalent in the customer's module.`);
  }

  value(value: unknown): string {
    if (value instanceof Expression) return value.text;
    if (typeof value === 'string') return hclString(value);
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) {
      const items = value.map((item) => this.value(item));
      if (items.length <= 1 && !items.some((item) => item.includes('\n'))) return `[${items.join('')}]`;
      return `[\n  ${items.map((item) => indent(item)).join(',\n  ')},\n]`;
    }
    if (value && typeof value === 'object') {
      const entries = Object.entries(value);
      if (entries.length === 1 && entries[0]?.[0] === 'Ref') return this.reference(String(entries[0][1]));
      if (entries.length === 1 && entries[0]?.[0] === 'Fn::Sub' && typeof entries[0][1] === 'string')
        return this.sub(entries[0][1]);
      if (entries.some(([key]) => key.startsWith('Fn::')))
        throw new TerraformRenderError(`${JSON.stringify(value)} has no Terraform equivalent.`);
      if (entries.length === 0) return '{}';
      return `{\n  ${indent(attributes(entries.map(([key, item]) => [hclKey(key), this.value(item)])))}\n}`;
    }
    throw new TerraformRenderError(`Cannot render ${String(value)} in Terraform.`);
  }

  /** `jsonencode({ Version, Statement })`: the policy document exactly as written. */
  policy(statements: readonly unknown[]): string {
    return `jsonencode(${this.value({ Version: '2012-10-17', Statement: statements })})`;
  }
}

/**
 * The statements a module can grant: a resource only a stack has (`${AWS::StackId}`: the setup
 * phase's ReadThisStack) is left out, and so is a statement left with none. Returns those left out.
 */
export function terraformStatements(statements: readonly PolicyStatement[]): {
  kept: PolicyStatement[];
  leftOut: PolicyStatement[];
} {
  const kept: PolicyStatement[] = [];
  const leftOut: PolicyStatement[] = [];
  for (const statement of statements) {
    const resources = ([] as unknown[]).concat(statement.Resource);
    const remaining = resources.filter((resource) => !STACK_ONLY.test(JSON.stringify(resource)));
    if (remaining.length === 0) {
      leftOut.push(statement);
      continue;
    }
    const trimmed = {
      ...statement,
      Resource: Array.isArray(statement.Resource) ? remaining : statement.Resource,
    };
    if (STACK_ONLY.test(JSON.stringify(trimmed)))
      throw new TerraformRenderError(
        `Statement ${statement.Sid ?? ''} names the stack outside its Resource.`,
      );
    kept.push(trimmed);
  }
  return { kept, leftOut };
}

/** A CloudFormation AllowedPattern for Terraform's regex (RE2): repeats over 1000 become +/*, bounded by length. */
function re2Pattern(input: RoleInput): string {
  const pattern = input.AllowedPattern ?? '';
  return pattern.replace(/\{(\d+),(\d+)\}/g, (whole, min: string, max: string) => {
    if (Number(max) <= 1000) return whole;
    if (input.MaxLength === undefined)
      throw new TerraformRenderError(`${pattern} needs a MaxLength to bound it in RE2.`);
    return Number(min) > 0 ? '+' : '*';
  });
}

const sentence = (text: string) => `${text.replace(/\.$/, '')}.`;

function variableBlock(name: string, input: RoleInput, description: string): string {
  const isBool = input.AllowedValues?.join() === 'true,false';
  const v = `var.${name}`;
  const checks = [
    ...(input.MinLength !== undefined ? [`length(${v}) >= ${input.MinLength}`] : []),
    ...(input.MaxLength !== undefined ? [`length(${v}) <= ${input.MaxLength}`] : []),
    ...(input.AllowedPattern ? [`can(regex(${hclString(`^(?:${re2Pattern(input)})$`)}, ${v}))`] : []),
    ...(input.AllowedValues && !isBool ? [`contains(${JSON.stringify(input.AllowedValues)}, ${v})`] : []),
  ];
  const body = [
    attributes([
      ['description', hclString(description)],
      ['type', isBool ? 'bool' : 'string'],
      ...(input.Default !== undefined
        ? [['default', isBool ? input.Default : hclString(input.Default)] as const]
        : []),
      ['nullable', 'false'],
    ]),
    ...(checks.length > 0
      ? [
          block(
            'validation',
            attributes([
              ['condition', checks.join(' && ')],
              [
                'error_message',
                hclString(sentence(`The ${name} must be ${input.ConstraintDescription ?? 'valid'}`)),
              ],
            ]),
          ),
        ]
      : []),
  ].join('\n\n');
  return block(`variable "${name}"`, body);
}

export interface TerraformModuleOptions {
  /** The region of the provider's registration function: the home region. */
  homeRegion: string;
}

export function buildTerraformModule(
  input: CustomerTemplateConfig,
  { homeRegion }: TerraformModuleOptions,
): TerraformModule {
  const config = resolveCustomerTemplateConfig(input);
  const role = customerRoleDefinition(config);
  return renderModule(
    role,
    terraformRegistrationFunctionArn(config.partition, homeRegion, config.providerAccountId, config.stage),
  );
}

function renderModule(role: CustomerRoleDefinition, functionArn: string): TerraformModule {
  const r = new Renderer();
  const P = PARAMETERS;
  const V = TERRAFORM_VARIABLES;
  const { providerName } = role;
  const ongoing = terraformStatements(role.permissions.ongoing.statements);
  const setup = terraformStatements(role.permissions.setupPhase.statements);
  const leftOut = [...ongoing.leftOut, ...setup.leftOut].map((statement) => statement.Sid ?? 'a statement');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub placeholder, as managedPolicyArn writes it
  const managedArn = (arn: string) => r.sub(arn.replace(/^arn:aws:/, 'arn:${AWS::Partition}:'));
  const managedMap = (arns: readonly string[]) =>
    `{\n  ${indent(attributes(arns.map((arn) => [hclString(arn.replace(/^.*:policy\//, '')), managedArn(arn)])))}\n}`;

  // merge(…, local.source_ip_condition): the IpAddress condition joins only when one is given.
  const trustPolicy = r.policy(
    role.trustStatements.map((statement) => ({
      ...statement,
      Condition: new Expression(`merge(${r.value(statement.Condition)}, local.source_ip_condition)`),
    })),
  );

  const resources: string[] = [];
  const policyResource = (name: string, statements: readonly unknown[], extra: [string, string][] = []) =>
    block(
      `resource "aws_iam_role_policy" "${name.replaceAll('-', '_')}"`,
      attributes([
        ...extra,
        ['name', hclString(name)],
        ['role', 'aws_iam_role.this.id'],
        ['policy', r.policy(statements)],
      ]),
    );
  const dependsOn = ['aws_iam_role.this'];
  if (ongoing.kept.length > 0) {
    resources.push(policyResource(POLICY_NAMES.ongoing, ongoing.kept));
    dependsOn.push(`aws_iam_role_policy.${POLICY_NAMES.ongoing.replaceAll('-', '_')}`);
  }
  if (setup.kept.length > 0) {
    resources.push(
      `# Granted only while setup_phase is true: apply with false once onboarding is done.\n${policyResource(
        POLICY_NAMES.setup,
        setup.kept,
        [['count', `var.${V[P.setupPhase]} ? 1 : 0`]],
      )}`,
    );
    dependsOn.push(`aws_iam_role_policy.${POLICY_NAMES.setup.replaceAll('-', '_')}`);
  }
  resources.push(
    `# Lets the role ask IAM's policy simulator about itself and read its own organization, nothing else.\n${policyResource(
      POLICY_NAMES.selfCheck,
      role.selfCheck,
    )}`,
  );
  dependsOn.push(`aws_iam_role_policy.${POLICY_NAMES.selfCheck.replaceAll('-', '_')}`);
  const locals: [string, string][] = [
    [
      'source_ip_condition',
      `{ for operator, values in { IpAddress = { "aws:SourceIp" = var.${V[P.allowedSourceIp]} } } : operator => values if var.${V[P.allowedSourceIp]} != "" }`,
    ],
  ];
  if (role.permissions.ongoing.managedPolicyArns.length > 0) {
    locals.push(['ongoing_managed_policy_arns', managedMap(role.permissions.ongoing.managedPolicyArns)]);
    resources.push(
      block(
        'resource "aws_iam_role_policy_attachment" "ongoing"',
        attributes([
          ['for_each', 'local.ongoing_managed_policy_arns'],
          ['role', 'aws_iam_role.this.name'],
          ['policy_arn', 'each.value'],
        ]),
      ),
    );
    dependsOn.push('aws_iam_role_policy_attachment.ongoing');
  }
  if (role.permissions.setupPhase.managedPolicyArns.length > 0) {
    locals.push([
      'setup_phase_managed_policy_arns',
      managedMap(role.permissions.setupPhase.managedPolicyArns),
    ]);
    resources.push(
      block(
        'resource "aws_iam_role_policy_attachment" "setup_phase"',
        attributes([
          [
            'for_each',
            `{ for name, arn in local.setup_phase_managed_policy_arns : name => arn if var.${V[P.setupPhase]} }`,
          ],
          ['role', 'aws_iam_role.this.name'],
          ['policy_arn', 'each.value'],
        ]),
      ),
    );
    dependsOn.push('aws_iam_role_policy_attachment.setup_phase');
  }

  const tags = r.value(
    Object.fromEntries([...role.tags, TERRAFORM_SOURCE_TAG].map(({ Key, Value }) => [Key, Value])),
  );
  const roleResource = block(
    'resource "aws_iam_role" "this"',
    attributes([
      ['name', `var.${V[P.roleName]}`],
      [
        'description',
        hclString(`Assumed by ${providerName}, only with this module's External ID. Destroy it to revoke.`),
      ],
      ['max_session_duration', String(role.maxSessionDuration)],
      ['assume_role_policy', trustPolicy],
      ['tags', tags],
    ]),
  );
  const registration = `# Registers the role on apply, again when the role or External ID changes, and revokes it on
# destroy: with lifecycle_scope CRUD the provider adds "tf" = { action, prev_input } to the input.
${block(
  'resource "aws_lambda_invocation" "registration"',
  [
    attributes([
      ['function_name', 'var.registration_function_arn'],
      // Provider 6's per-resource region: the function is in the provider's home region.
      ['region', 'split(":", var.registration_function_arn)[3]'],
      ['lifecycle_scope', '"CRUD"'],
      [
        'input',
        `jsonencode(${r.value({
          customerId: { Ref: P.customerId },
          setupId: new Expression('var.setup_id'),
          externalId: { Ref: P.externalId },
          roleArn: new Expression('aws_iam_role.this.arn'),
          templateVersion: role.templateVersion,
        })})`,
      ],
    ]),
    '# The role and every policy exist before the provider validates them.',
    attributes([['depends_on', `[\n  ${dependsOn.join(',\n  ')},\n]`]]),
  ].join('\n\n'),
)}`;

  const data = [...r.dataSources].sort().map((name) => `data "${name}" "current" {}`);
  const header = (what: string) =>
    `# ${what}. Generated for ${providerName} (template v${role.templateVersion}) from the definition\n` +
    '# its CloudFormation template is generated from: regenerate it rather than edit it.';
  const main = [
    header('The role and its registration'),
    ...(leftOut.length > 0
      ? [`# Left out, as it names the CloudFormation stack a module has none of: ${leftOut.join(', ')}.`]
      : []),
    data.join('\n'),
    block('locals', attributes(locals)),
    roleResource,
    ...resources,
    registration,
  ].join('\n\n');

  const inputDescription = (name: ParameterName) =>
    name === P.setupPhase
      ? 'true grants the setup-phase permissions as well; apply with false once onboarding is done.'
      : role.inputs[name].Description;
  const order: ParameterName[] = [P.customerId, P.externalId, P.roleName, P.setupPhase, P.allowedSourceIp];
  const variables = [
    header('The inputs, with the template parameters’ constraints'),
    ...order.map((name) => variableBlock(V[name], role.inputs[name], inputDescription(name))),
    block(
      'variable "setup_id"',
      [
        attributes([
          ['description', hclString(`The setupId ${providerName} gave with the External ID.`)],
          ['type', 'string'],
          ['nullable', 'false'],
        ]),
        block(
          'validation',
          attributes([
            ['condition', `can(regex(${hclString(`^${SETUP_ID_PATTERN_BODY}$`)}, var.setup_id))`],
            ['error_message', hclString('The setup_id must be the UUID the onboarding link gave.')],
          ]),
        ),
      ].join('\n\n'),
    ),
    block(
      'variable "registration_function_arn"',
      [
        attributes([
          [
            'description',
            hclString(
              `${providerName}'s ${TERRAFORM_REGISTRATION_FUNCTION} function, which records this role (keep the default).`,
            ),
          ],
          ['type', 'string'],
          ['default', hclString(functionArn)],
          ['nullable', 'false'],
        ]),
        block(
          'validation',
          attributes([
            [
              'condition',
              `can(regex(${hclString('^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}$')}, var.registration_function_arn))`,
            ],
            ['error_message', hclString('The registration_function_arn must be a Lambda function ARN.')],
          ]),
        ),
      ].join('\n\n'),
    ),
  ].join('\n\n');

  const outputs = [
    header('The outputs'),
    block(
      'output "role_arn"',
      attributes([
        ['description', hclString(`The role ${providerName} assumes (with your External ID only).`)],
        ['value', 'aws_iam_role.this.arn'],
      ]),
    ),
  ].join('\n\n');

  const versions = [
    header('The versions it needs'),
    block(
      'terraform',
      [
        attributes([['required_version', '">= 1.5.0"']]),
        block(
          'required_providers',
          attributes([
            [
              'aws',
              // 6.0: the per-resource `region` and data.aws_region's `region` attribute.
              '{\n  source  = "hashicorp/aws"\n  version = ">= 6.0"\n}',
            ],
          ]),
        ),
      ].join('\n\n'),
    ),
  ].join('\n\n');

  return {
    'main.tf': `${main}\n`,
    'variables.tf': `${variables}\n`,
    'outputs.tf': `${outputs}\n`,
    'versions.tf': `${versions}\n`,
  };
}
