/**
 * Reads a generated Terraform module the way `terraform plan` would for the local runtime and the
 * tests (docs/architecture.md §9.5): its files parsed by HashiCorp's HCL parser (@cdktf/hcl2json,
 * a devDependency, never in a bundle), variables given or defaulted and checked by the module's own
 * validation blocks, and the role, its policies and the registration's input evaluated in a
 * simulated account. It knows only the resource types the module uses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import type { Partition } from '#shared/customer-template/names.ts';
import { evaluateTemplate, HclEvaluationError, type HclScope, type HclValue } from './hcl-expression.ts';
import type { PolicyDocument } from './instantiate.ts';

/** The blocks of a module, merged over its files, as @cdktf/hcl2json gives them. */
export interface ParsedTerraformModule {
  variable?: Record<string, { default?: unknown; type?: string; validation?: Record<string, unknown>[] }[]>;
  locals?: Record<string, unknown>[];
  data?: Record<string, Record<string, Record<string, unknown>[]>>;
  resource?: Record<string, Record<string, Record<string, unknown>[]>>;
  output?: Record<string, Record<string, unknown>[]>;
  terraform?: Record<string, unknown>[];
}

export class TerraformPlanError extends Error {
  override readonly name = 'TerraformPlanError';
}

/** Parses every `.tf` file of `dir` (a syntax error names the file). */
export async function readTerraformModule(dir: string): Promise<ParsedTerraformModule> {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.tf'))
    .sort();
  if (files.length === 0) throw new TerraformPlanError(`${dir} holds no .tf file.`);
  const module: Record<string, Record<string, unknown> | unknown[]> = {};
  for (const file of files) {
    const parsed = await parse(file, readFileSync(join(dir, file), 'utf8'));
    for (const [kind, blocks] of Object.entries(parsed)) {
      if (Array.isArray(blocks)) module[kind] = [...((module[kind] as unknown[]) ?? []), ...blocks];
      else module[kind] = deepMerge((module[kind] as Record<string, unknown>) ?? {}, blocks);
    }
  }
  return module as ParsedTerraformModule;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const result = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = result[key];
    result[key] =
      existing &&
      typeof existing === 'object' &&
      !Array.isArray(existing) &&
      value &&
      typeof value === 'object'
        ? deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return result;
}

export interface PlanInput {
  accountId: string;
  /** The region of the customer's provider configuration. */
  region: string;
  partition?: Partition;
  /** Variable values as `-var key=value` gives them (strings; bools as "true"/"false"). */
  variables: Record<string, string>;
}

export interface PlannedRole {
  name: string;
  arn: string;
  description?: string;
  maxSessionDuration: number;
  trustPolicy: PolicyDocument;
  /** Inline policies by name (those whose count is 0 left out). */
  policies: Record<string, PolicyDocument>;
  managedPolicyArns: string[];
  tags: Record<string, string>;
}

export interface PlannedModule {
  role: PlannedRole;
  registration: {
    functionName: string;
    region: string;
    lifecycleScope: string;
    input: Record<string, unknown>;
  };
  variables: Record<string, HclValue>;
}

const only = <T>(blocks: T[] | undefined, what: string): T => {
  if (blocks?.length !== 1) throw new TerraformPlanError(`The module needs exactly one ${what}.`);
  return blocks[0] as T;
};

/** What `terraform plan` would create in the account, every expression evaluated. */
export function planTerraformModule(module: ParsedTerraformModule, input: PlanInput): PlannedModule {
  const partition = input.partition ?? 'aws';
  const variables = resolveVariables(module, input.variables);
  const locals: Record<string, unknown> = Object.assign({}, ...(module.locals ?? []));
  const resolvedLocals: Record<string, HclValue> = {};
  const roleBlock = only(module.resource?.aws_iam_role?.this, 'aws_iam_role "this"');
  const attributes: Record<string, Record<string, HclValue>> = {};

  const data: Record<string, Record<string, HclValue>> = {
    aws_partition: { partition, dns_suffix: partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com' },
    aws_caller_identity: { account_id: input.accountId },
    aws_region: { region: input.region, name: input.region },
  };
  let each: Record<string, HclValue> | undefined;
  const scope: HclScope = (root, path) => {
    const [first, second, third] = path;
    switch (root) {
      case 'var':
        if (first !== undefined && first in variables) return variables[first] as HclValue;
        break;
      case 'local':
        if (first !== undefined && first in locals) {
          if (!(first in resolvedLocals)) resolvedLocals[first] = evaluate(locals[first]);
          return resolvedLocals[first] as HclValue;
        }
        break;
      case 'data': {
        const value = first && third ? data[first]?.[third] : undefined;
        if (value !== undefined && second === 'current') return value;
        break;
      }
      case 'each':
        if (each && first && first in each) return each[first] as HclValue;
        break;
      default: {
        const value = attributes[`${root}.${first}`]?.[second ?? ''];
        if (value !== undefined) return value;
      }
    }
    throw new HclEvaluationError(`Cannot resolve ${[root, ...path].join('.')}.`);
  };
  const evaluate = (value: unknown): HclValue => {
    if (typeof value === 'string') return value.includes('${') ? evaluateTemplate(value, scope) : value;
    if (Array.isArray(value)) return value.map(evaluate);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, evaluate(item)]));
    return (value ?? null) as HclValue;
  };
  const json = (value: unknown, what: string) => {
    const text = evaluate(value);
    try {
      return JSON.parse(String(text)) as Record<string, unknown>;
    } catch {
      throw new TerraformPlanError(`${what} is not JSON.`);
    }
  };

  const name = String(evaluate(roleBlock.name));
  const arn = `arn:${partition}:iam::${input.accountId}:role/${name}`;
  attributes['aws_iam_role.this'] = { name, id: name, arn, unique_id: 'AROALOCALTERRAFORM000' };
  const role: PlannedRole = {
    name,
    arn,
    ...(roleBlock.description === undefined ? {} : { description: String(evaluate(roleBlock.description)) }),
    maxSessionDuration: Number(evaluate(roleBlock.max_session_duration ?? 3600)),
    trustPolicy: json(roleBlock.assume_role_policy, 'assume_role_policy') as unknown as PolicyDocument,
    policies: {},
    managedPolicyArns: [],
    tags: Object.fromEntries(
      Object.entries((evaluate(roleBlock.tags ?? {}) ?? {}) as Record<string, HclValue>).map(([k, v]) => [
        k,
        String(v),
      ]),
    ),
  };
  for (const [resourceName, blocks] of Object.entries(module.resource?.aws_iam_role_policy ?? {})) {
    const policy = only(blocks, `aws_iam_role_policy "${resourceName}"`);
    const count = policy.count === undefined ? 1 : Number(evaluate(policy.count));
    if (count === 0) continue;
    role.policies[String(evaluate(policy.name))] = json(
      policy.policy,
      `aws_iam_role_policy.${resourceName}`,
    ) as unknown as PolicyDocument;
  }
  for (const [resourceName, blocks] of Object.entries(
    module.resource?.aws_iam_role_policy_attachment ?? {},
  )) {
    const attachment = only(blocks, `aws_iam_role_policy_attachment "${resourceName}"`);
    const forEach = attachment.for_each === undefined ? { single: null } : evaluate(attachment.for_each);
    for (const [key, value] of Object.entries((forEach ?? {}) as Record<string, HclValue>)) {
      each = { key, value };
      role.managedPolicyArns.push(String(evaluate(attachment.policy_arn)));
    }
    each = undefined;
  }
  const invocation = only(module.resource?.aws_lambda_invocation?.registration, 'aws_lambda_invocation');
  return {
    role,
    registration: {
      functionName: String(evaluate(invocation.function_name)),
      region: String(evaluate(invocation.region ?? input.region)),
      lifecycleScope: String(evaluate(invocation.lifecycle_scope ?? 'CREATE_ONLY')),
      input: json(invocation.input, 'The invocation input'),
    },
    variables,
  };
}

/** Given values (typed as declared), then defaults; each checked by its validation blocks, as Terraform does. */
function resolveVariables(
  module: ParsedTerraformModule,
  given: Record<string, string>,
): Record<string, HclValue> {
  const declared = module.variable ?? {};
  const unknown = Object.keys(given).filter((name) => !(name in declared));
  if (unknown.length > 0)
    throw new TerraformPlanError(`The module declares no variable ${unknown.join(', ')}.`);
  const values: Record<string, HclValue> = {};
  for (const [name, blocks] of Object.entries(declared)) {
    const declaration = only(blocks, `variable "${name}"`);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the parser's text for the type expression `bool`
    const isBool = declaration.type === '${bool}';
    if (name in given) {
      const text = given[name] ?? '';
      if (isBool && text !== 'true' && text !== 'false')
        throw new TerraformPlanError(`Variable ${name} must be true or false.`);
      values[name] = isBool ? text === 'true' : text;
    } else if (declaration.default !== undefined) values[name] = declaration.default as HclValue;
    else throw new TerraformPlanError(`Variable ${name} needs a value (--var ${name}=…).`);
  }
  const scope: HclScope = (root, path) => {
    const value = root === 'var' && path[0] !== undefined ? values[path[0]] : undefined;
    if (value === undefined) throw new HclEvaluationError(`Cannot resolve ${[root, ...path].join('.')}.`);
    return value;
  };
  for (const [name, blocks] of Object.entries(declared)) {
    for (const validation of only(blocks, name).validation ?? []) {
      if (evaluateTemplate(String(validation.condition), scope) !== true)
        throw new TerraformPlanError(
          `Invalid value for variable ${name}: ${String(validation.error_message)}`,
        );
    }
  }
  return values;
}
