/**
 * "Deploys" the customer template without CloudFormation: checks the parameters against their
 * constraints and resolves the intrinsic functions the template uses, the way CloudFormation would.
 * The local runtime uses it to create simulated customer roles, the tests to evaluate the real trust
 * policy with an IAM policy engine. It knows only the intrinsics this template uses.
 */

import type { Partition } from '#shared/customer-template/names.ts';
import { type CloudFormationTemplate, LOGICAL_IDS } from '#shared/customer-template/template.ts';

export interface CustomerStackInput {
  accountId: string;
  region: string;
  partition?: Partition;
  stackName?: string;
  /** Parameter values as the customer (or the quick-create link) gave them; defaults apply to the rest. */
  parameters: Record<string, string>;
}

export interface PolicyDocument {
  Version: string;
  Statement: Record<string, unknown>[];
}

export interface InstantiatedCustomerStack {
  stackId: string;
  role: {
    roleName: string;
    arn: string;
    maxSessionDuration: number;
    trustPolicy: PolicyDocument;
    policies: { policyName: string; policyDocument: PolicyDocument }[];
    managedPolicyArns: string[];
    tags: Record<string, string>;
  };
  /** The custom resource: where CloudFormation would send the request, and its ResourceProperties. */
  registration: { serviceToken: string; properties: Record<string, unknown> };
  outputs: Record<string, string>;
}

/** A parameter value breaks its constraint, or an intrinsic cannot be resolved; CloudFormation would refuse too. */
export class TemplateInstantiationError extends Error {
  override readonly name = 'TemplateInstantiationError';
}

const NO_VALUE = Symbol('AWS::NoValue');

export function instantiateCustomerTemplate(
  template: CloudFormationTemplate,
  input: CustomerStackInput,
): InstantiatedCustomerStack {
  const partition = input.partition ?? 'aws';
  const stackName = input.stackName ?? 'keyless';
  const stackId = `arn:${partition}:cloudformation:${input.region}:${input.accountId}:stack/${stackName}/00000000-0000-4000-8000-000000000000`;
  const parameters = checkParameters(template, input.parameters);
  const role = template.Resources[LOGICAL_IDS.role];
  if (!role) throw new TemplateInstantiationError(`The template has no ${LOGICAL_IDS.role} resource.`);

  const roleName = String(parameters.RoleName);
  const roleArn = `arn:${partition}:iam::${input.accountId}:role/${roleName}`;
  const refs: Record<string, string> = {
    ...parameters,
    'AWS::AccountId': input.accountId,
    'AWS::Region': input.region,
    'AWS::Partition': partition,
    'AWS::StackName': stackName,
    'AWS::StackId': stackId,
    'AWS::URLSuffix': partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
    [LOGICAL_IDS.role]: roleName,
  };
  const attributes: Record<string, string> = { [`${LOGICAL_IDS.role}.Arn`]: roleArn };

  const conditions: Record<string, boolean> = {};
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [key, argument] = entries[0] ?? [];
    if (entries.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
      return intrinsic(key, argument);
    }
    return Object.fromEntries(
      entries.map(([k, v]) => [k, resolve(v)] as const).filter(([, v]) => v !== NO_VALUE),
    );
  };
  const condition = (name: string): boolean => {
    if (!(name in conditions)) {
      const definition = template.Conditions[name];
      if (definition === undefined) throw new TemplateInstantiationError(`Unknown condition ${name}.`);
      conditions[name] = Boolean(resolve(definition));
    }
    return conditions[name] as boolean;
  };
  const intrinsic = (fn: string, argument: unknown): unknown => {
    const args = Array.isArray(argument) ? argument : [argument];
    switch (fn) {
      case 'Ref': {
        if (argument === 'AWS::NoValue') return NO_VALUE;
        const value = refs[String(argument)];
        if (value === undefined)
          throw new TemplateInstantiationError(`Unresolvable Ref ${String(argument)}.`);
        return value;
      }
      case 'Fn::GetAtt': {
        const value = attributes[args.join('.')];
        if (value === undefined)
          throw new TemplateInstantiationError(`Unresolvable GetAtt ${args.join('.')}.`);
        return value;
      }
      case 'Fn::Sub':
        return String(argument).replace(/\$\{([\w:]+)\}/g, (_, name: string) => {
          const value = refs[name];
          if (value === undefined)
            throw new TemplateInstantiationError(`Unresolvable \${${name}} in Fn::Sub.`);
          return value;
        });
      case 'Fn::FindInMap': {
        const [map, top, second] = args.map((a) => String(resolve(a)));
        const value = template.Mappings[map ?? '']?.[top ?? '']?.[second ?? ''];
        if (value === undefined) {
          throw new TemplateInstantiationError(`Fn::FindInMap found no ${map}.${top}.${second}.`);
        }
        return value;
      }
      case 'Fn::If':
        return resolve(condition(String(args[0])) ? args[1] : args[2]);
      case 'Fn::Equals':
        return resolve(args[0]) === resolve(args[1]);
      case 'Fn::Not':
        return !resolve(args[0]);
      default:
        throw new TemplateInstantiationError(`Unsupported intrinsic ${fn}.`);
    }
  };

  const properties = resolve(role.Properties) as Record<string, unknown>;
  const registration = template.Resources[LOGICAL_IDS.registration];
  const registrationProperties = resolve(registration?.Properties ?? {}) as Record<string, unknown>;
  const { ServiceToken, ...rest } = registrationProperties;
  return {
    stackId,
    role: {
      roleName,
      arn: roleArn,
      maxSessionDuration: Number(properties.MaxSessionDuration),
      trustPolicy: properties.AssumeRolePolicyDocument as PolicyDocument,
      policies: ((properties.Policies ?? []) as { PolicyName: string; PolicyDocument: PolicyDocument }[]).map(
        (policy) => ({ policyName: policy.PolicyName, policyDocument: policy.PolicyDocument }),
      ),
      managedPolicyArns: ((properties.ManagedPolicyArns ?? []) as unknown[]).map(String),
      tags: Object.fromEntries(
        ((properties.Tags ?? []) as { Key: string; Value: unknown }[]).map((tag) => [
          tag.Key,
          String(tag.Value),
        ]),
      ),
    },
    registration: { serviceToken: String(ServiceToken), properties: rest },
    outputs: Object.fromEntries(
      Object.entries(template.Outputs).map(([name, output]) => [name, String(resolve(output.Value))]),
    ),
  };
}

/** Applies defaults and checks each value as CloudFormation does (AllowedValues, AllowedPattern, lengths). */
function checkParameters(
  template: CloudFormationTemplate,
  given: Record<string, string>,
): Record<string, string> {
  const unknown = Object.keys(given).filter((name) => !(name in template.Parameters));
  if (unknown.length > 0) throw new TemplateInstantiationError(`Unknown parameters: ${unknown.join(', ')}.`);
  const values: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters)) {
    const value = given[name] ?? parameter.Default;
    if (value === undefined) throw new TemplateInstantiationError(`Parameter ${name} needs a value.`);
    const broken =
      (parameter.AllowedValues && !parameter.AllowedValues.includes(value)) ||
      (parameter.AllowedPattern && !new RegExp(`^(?:${parameter.AllowedPattern})$`).test(value)) ||
      (parameter.MinLength !== undefined && value.length < parameter.MinLength) ||
      (parameter.MaxLength !== undefined && value.length > parameter.MaxLength);
    if (broken) {
      throw new TemplateInstantiationError(
        `Parameter ${name} ${parameter.ConstraintDescription ? `must be ${parameter.ConstraintDescription}` : 'is not allowed'}.`,
      );
    }
    values[name] = value;
  }
  return values;
}
