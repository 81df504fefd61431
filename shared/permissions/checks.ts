/**
 * What the permission check proves (docs/architecture.md §9.4): for each action the provider's
 * `permissions.ongoing` grants, the resources and condition values it was granted for, so IAM's
 * policy simulator is asked about the case the provider intends (a resource tagged as the
 * condition requires), not about `*`. Built at synth from the provider config and compiled into the
 * validator's bundle (`PERMISSION_CHECKS`), like the template catalogue.
 */
import * as z from 'zod/mini';
import { isProbeAction, PROBE_CATALOGUE } from './probe-catalogue.ts';

/** A statement as the provider config or the built-in example writes it. */
interface CheckedStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | readonly string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>> | undefined;
  OptionalActions?: readonly string[] | undefined;
  Probes?: readonly { Action: string; Resource?: string | undefined }[] | undefined;
}

export const permissionCheckSchema = z.strictObject({
  action: z.string().check(z.regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/)),
  /** Resource ARNs, with `${AWS::Partition}`, `${AWS::AccountId}` and `${AWS::Region}` still to resolve. */
  resources: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /** Condition values the grant depends on, as simulator context entries (key → values). */
  context: z.record(z.string(), z.array(z.string())),
  /** Optional actions are reported missing without failing the connection. */
  optional: z.boolean(),
  /**
   * The real call that also tries the action (probes.ts): on `resource` (placeholders still to
   * resolve), one the provider named (`named`), or one that does not exist.
   */
  probe: z.optional(
    z.strictObject({
      resource: z.string().check(z.minLength(1)),
      named: z.boolean(),
    }),
  ),
});
export type PermissionCheck = z.output<typeof permissionCheckSchema>;
export const permissionChecksSchema = z.array(permissionCheckSchema);

/**
 * The resources of a statement an action can apply to: one statement often grants several
 * services' actions on several services' resources, and each action is asked about its own.
 */
function resourcesFor(action: string, resources: readonly string[]): string[] {
  const service = action.split(':')[0];
  // A placeholder holds colons of its own (`${AWS::Partition}`): it is set aside before splitting.
  const serviceOf = (resource: string) => resource.replace(/\$\{[^}]*\}/g, 'x').split(':')[2];
  const own = resources.filter((resource) => resource === '*' || serviceOf(resource) === service);
  return own.length > 0 ? own : [...resources];
}

/** Condition operators whose values say what a matching request carries. */
const DESCRIPTIVE_OPERATORS = new Set(['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike']);

/** Strings as written, and CloudFormation `Fn::Sub` strings as their template. */
const asList = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value])
    .map((item) =>
      item && typeof item === 'object' && typeof (item as { 'Fn::Sub'?: unknown })['Fn::Sub'] === 'string'
        ? (item as { 'Fn::Sub': string })['Fn::Sub']
        : item,
    )
    .filter((item): item is string => typeof item === 'string');

/**
 * The checks for one permission set: every action of its Allow statements, each with its
 * statement's resources and descriptive condition values. A wildcard action (`s3:Get*`) names no one
 * action to simulate and is left out; `checkActions` lists actions a managed policy grants.
 */
export function permissionChecksOf(
  permissions: { statements: readonly CheckedStatement[] },
  checkActions: readonly string[] = [],
): PermissionCheck[] {
  const checks = new Map<string, PermissionCheck>();
  for (const statement of permissions.statements) {
    if (statement.Effect !== 'Allow') continue;
    const optional = new Set(statement.OptionalActions ?? []);
    const probes = new Map((statement.Probes ?? []).map((probe) => [probe.Action, probe.Resource]));
    const context: Record<string, string[]> = {};
    for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
      if (!DESCRIPTIVE_OPERATORS.has(operator)) continue;
      for (const [key, value] of Object.entries(entries)) context[key] = asList(value);
    }
    const resources = asList(statement.Resource);
    for (const action of asList(statement.Action)) {
      if (action.includes('*') || action.includes('?')) continue;
      const previous = checks.get(action);
      const probe =
        probes.has(action) && isProbeAction(action)
          ? {
              resource: probes.get(action) ?? PROBE_CATALOGUE[action].anyResource,
              named: probes.get(action) !== undefined,
            }
          : previous?.probe;
      checks.set(action, {
        action,
        resources: [...new Set([...(previous?.resources ?? []), ...resourcesFor(action, resources)])],
        context: { ...previous?.context, ...context },
        optional: (previous?.optional ?? true) && optional.has(action),
        ...(probe ? { probe } : {}),
      });
    }
  }
  for (const action of checkActions) {
    if (!checks.has(action)) checks.set(action, { action, resources: ['*'], context: {}, optional: false });
  }
  return [...checks.values()];
}

/** A resource ARN in one account: the template's placeholders resolved as the customer's stack resolves them. */
export function resolveResource(
  resource: string,
  place: { partition: string; accountId: string; region: string },
): string {
  const placeholder = (name: string) => `\${AWS::${name}}`;
  return (
    resource
      .replaceAll(placeholder('Partition'), place.partition)
      .replaceAll(placeholder('AccountId'), place.accountId)
      .replaceAll(placeholder('Region'), place.region)
      // The stack's own ARN is not known to the check: any stack of the account stands for it.
      .replaceAll(
        placeholder('StackId'),
        `arn:${place.partition}:cloudformation:${place.region}:${place.accountId}:stack/*`,
      )
  );
}

/** A check's resources in one account (`resolveResource` for each). */
export function resolveResources(
  check: PermissionCheck,
  place: { partition: string; accountId: string; region: string },
): string[] {
  return check.resources.map((resource) => resolveResource(resource, place));
}
