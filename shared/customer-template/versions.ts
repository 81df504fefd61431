/**
 * Template versions (docs/architecture.md §9.3). A version number stands for what a customer's stack
 * grants and asks for: the role's trust, its permissions and the template's parameters. It is
 * derived from that content with the deployment's own names (account, stage, regions) left out, so
 * every stage of one provider shares its numbers, a rebuild without a change keeps the number, and
 * any change of what a customer grants makes a new one. The history of versions is kept in a file
 * beside the provider config (version-history.ts); this module is the pure part.
 */
import { createHash } from 'node:crypto';
import type { TemplateCatalogue } from './catalogue.ts';
import type { CustomerTemplateConfig, PolicyStatement } from './config.ts';
import {
  buildCustomerTemplate,
  type CloudFormationParameter,
  type GrantedPermissions,
  LOGICAL_IDS,
  POLICY_NAMES,
  permissionsOf,
  resolveCustomerTemplateConfig,
} from './template.ts';

export type PermissionPhase = 'ongoing' | 'setupPhase';

/** One version as the history records it: enough to say, later, what updating from it changes. */
export interface TemplateVersionRecord {
  version: number;
  /** Digest of the customer-facing content (trust, permissions, parameters, session limit). */
  fingerprint: string;
  /** Digest of the role's trust policy alone, to say when an upgrade changes who may assume it. */
  trustFingerprint: string;
  /** When this version was first built (ISO date). */
  recordedAt: string;
  permissions: Record<PermissionPhase, GrantedPermissions>;
  /** Each parameter and the digest of its constraints (default, pattern, allowed values). */
  parameters: Record<string, string>;
}

/** Stand-ins for the deployment's own names: the version must not depend on them. */
const NEUTRAL_DEPLOYMENT = {
  providerAccountId: '000000000000',
  stage: 'neutral',
  partition: 'aws' as const,
  regions: ['us-east-1'],
};

/** JSON with object keys sorted, so equal content always digests the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const digest = (value: unknown) =>
  `sha256:${createHash('sha256').update(canonical(value)).digest('hex').slice(0, 32)}`;

/** A parameter as it constrains the customer: its texts (which carry the provider's name) left out. */
function parameterConstraints({
  Description: _description,
  ConstraintDescription: _constraint,
  ...constraints
}: CloudFormationParameter) {
  return constraints;
}

/** What the content depends on: the template config without the deployment's own names. */
export type TemplateContentConfig = Omit<
  CustomerTemplateConfig,
  keyof typeof NEUTRAL_DEPLOYMENT | 'templateVersion' | 'serviceTimeoutSeconds'
>;

/** The record of the template `config` builds, numbered `version`. */
export function templateContentRecord(
  config: TemplateContentConfig,
  version: number,
  recordedAt: string,
): TemplateVersionRecord {
  const neutral = { ...config, ...NEUTRAL_DEPLOYMENT, templateVersion: 1 };
  const template = buildCustomerTemplate(neutral);
  const role = template.Resources[LOGICAL_IDS.role]?.Properties ?? {};
  const permissions = permissionsOf(resolveCustomerTemplateConfig(neutral));
  const parameters = Object.fromEntries(
    Object.entries(template.Parameters).map(([name, parameter]) => [
      name,
      digest(parameterConstraints(parameter)),
    ]),
  );
  const trust = role.AssumeRolePolicyDocument;
  // The self-check policy is granted too (the permission and membership checks, §9.4, §9.7).
  const selfCheck = (role.Policies as { PolicyName?: string; PolicyDocument?: unknown }[] | undefined)?.find(
    (policy) => policy.PolicyName === POLICY_NAMES.selfCheck,
  )?.PolicyDocument;
  return {
    version,
    fingerprint: digest({
      trust,
      permissions,
      selfCheck,
      parameters,
      conditions: template.Conditions,
      maxSessionDuration: role.MaxSessionDuration,
      roleName: role.RoleName,
    }),
    trustFingerprint: digest(trust),
    recordedAt,
    permissions,
    parameters,
  };
}

const asList = (value: string | readonly string[]) => (typeof value === 'string' ? [value] : [...value]);

/** Every action a set of statements allows (or denies), as written. */
function actionsOf(statements: readonly PolicyStatement[], effect: PolicyStatement['Effect']): Set<string> {
  return new Set(statements.filter((s) => s.Effect === effect).flatMap((s) => asList(s.Action)));
}

const minus = (a: Set<string>, b: Set<string>) => [...a].filter((item) => !b.has(item)).sort();
const policyName = (arn: string) => arn.replace(/^arn:aws:iam::aws:policy\//, '');

/** What updating a stack from `from` to `to` changes, one plain sentence per change. */
export function describeChanges(from: TemplateVersionRecord, to: TemplateVersionRecord): string[] {
  const changes: string[] = [];
  for (const phase of ['ongoing', 'setupPhase'] as const) {
    const when = phase === 'setupPhase' ? ' during the setup phase' : '';
    const before = from.permissions[phase];
    const after = to.permissions[phase];
    const listed = changes.length;
    const allowedBefore = actionsOf(before.statements, 'Allow');
    const allowedAfter = actionsOf(after.statements, 'Allow');
    for (const action of minus(allowedAfter, allowedBefore)) changes.push(`Allows ${action}${when}`);
    for (const action of minus(allowedBefore, allowedAfter))
      changes.push(`No longer allows ${action}${when}`);
    const deniedBefore = actionsOf(before.statements, 'Deny');
    const deniedAfter = actionsOf(after.statements, 'Deny');
    for (const action of minus(deniedAfter, deniedBefore)) changes.push(`Denies ${action}${when}`);
    for (const action of minus(deniedBefore, deniedAfter)) changes.push(`No longer denies ${action}${when}`);
    const managedBefore = new Set(before.managedPolicyArns);
    const managedAfter = new Set(after.managedPolicyArns);
    for (const arn of minus(managedAfter, managedBefore))
      changes.push(`Attaches the AWS managed policy ${policyName(arn)}${when}`);
    for (const arn of minus(managedBefore, managedAfter))
      changes.push(`Detaches the AWS managed policy ${policyName(arn)}${when}`);
    if (changes.length === listed && digest(before.statements) !== digest(after.statements)) {
      changes.push(
        `Changes the resources or conditions of the ${phase === 'ongoing' ? 'ongoing' : 'setup-phase'} permissions`,
      );
    }
  }
  if (from.trustFingerprint !== to.trustFingerprint)
    changes.push("Changes the role's trust policy: who may assume it, and on which conditions");
  for (const name of Object.keys(to.parameters).sort()) {
    if (!(name in from.parameters)) changes.push(`Adds the parameter ${name}`);
    else if (from.parameters[name] !== to.parameters[name])
      changes.push(`Changes the allowed values of the parameter ${name}`);
  }
  for (const name of Object.keys(from.parameters).sort())
    if (!(name in to.parameters)) changes.push(`Removes the parameter ${name}`);
  if (changes.length === 0 && from.fingerprint !== to.fingerprint)
    changes.push("Changes the role's settings");
  return changes;
}

/** The catalogue a deployment ships: the newest version is the current one. */
export function catalogueOf(history: readonly TemplateVersionRecord[]): TemplateCatalogue {
  const current = history.at(-1);
  if (!current) throw new RangeError('A template history holds at least one version.');
  return {
    current: current.version,
    parameters: Object.keys(current.parameters),
    upgrades: Object.fromEntries(
      history.slice(0, -1).map((record) => [
        String(record.version),
        {
          changes: describeChanges(record, current),
          keptParameters: Object.keys(current.parameters).filter((name) => name in record.parameters),
        },
      ]),
    ),
  };
}

/**
 * The history once `candidate` is built: unchanged when the newest version has the same content,
 * else with the candidate appended as the next number (also when it equals an older version:
 * stacks on the newest one need an update to get back to it).
 */
export function withTemplateVersion(
  history: readonly TemplateVersionRecord[],
  candidate: Omit<TemplateVersionRecord, 'version'>,
): { history: TemplateVersionRecord[]; version: number; recorded: boolean } {
  const newest = history.at(-1);
  if (newest && newest.fingerprint === candidate.fingerprint)
    return { history: [...history], version: newest.version, recorded: false };
  const version = (newest?.version ?? 0) + 1;
  return { history: [...history, { ...candidate, version }], version, recorded: true };
}

/** The version of a template no history records: version 1, the only one there is. */
export function unrecordedTemplateVersion(config: TemplateContentConfig): {
  version: number;
  catalogue: TemplateCatalogue;
} {
  return { version: 1, catalogue: catalogueOf([templateContentRecord(config, 1, '1970-01-01')]) };
}
