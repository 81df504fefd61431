/**
 * A simulated service-managed StackSet with automatic deployment (docs/architecture.md §9.7): the
 * customer's organization and the stack instances StackSets keeps in its member accounts. Each
 * instance is deployed and deleted through the simulated stack's own path
 * (./simulated-stack.ts), so its custom resource calls back, and its Delete revokes, as in AWS.
 *
 * What StackSets does, and so this: it deploys to every account its deployment targets (the root,
 * or OUs) cover, child OUs included (./simulated-organization.ts); it never deploys to the
 * management account (that one uses the launch link); it deploys at most `MaxConcurrentCount`
 * instances at a time (the setup's `stackSet.commands` say 5; `concurrency` as large as the
 * organization deploys them all at once, as automatic deployment does); with automatic deployment
 * and `RetainStacksOnAccountRemoval=false`, an account that leaves the targets (it leaves the
 * organization, or MoveAccount takes it out of every targeted OU) loses its instance, and one that
 * comes under them gets one. The StackSet (its targets, link and instances) is remembered in the
 * state directory.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addAccount,
  checkParentId,
  createOrganizationalUnit,
  isTargeted,
  moveAccount,
  type OrganizationTree,
  organizationStore,
  removeAccount,
  rootIdOf,
  targetedAccounts,
} from './simulated-organization.ts';
import { createSimulatedAccounts, parseLaunchUrl, type StackOutcome } from './simulated-stack.ts';

/** The operation preferences of the setup's `create-stack-instances` command. */
export const STACKSET_MAX_CONCURRENT = 5;

export interface StackInstance {
  accountId: string;
  stackName: string;
  /** CURRENT once its stack is CREATE_COMPLETE; OUTDATED after a failed deployment, as StackSets says. */
  status: 'CURRENT' | 'OUTDATED';
  reason?: string;
}

export interface StackSetRecord {
  organizationId: string;
  stackSetName: string;
  launchUrl: string;
  managementAccountId?: string;
  /** The deployment targets (`OrganizationalUnitIds`): the root, or OUs; the root when absent. */
  targets?: string[];
  instances: StackInstance[];
}

/** What automatic deployment did after MoveAccount. */
export type MoveEffect =
  | { kind: 'deleted'; instance: InstanceOutcome }
  | { kind: 'deployed'; instance: InstanceOutcome }
  | { kind: 'none'; why: string };

export interface InstanceOutcome {
  accountId: string;
  outcome: StackOutcome;
}

export interface SimulatedStackSetOptions {
  endpoint: string;
  stateDir: string;
  concurrency?: number;
}

/** Runs `work` over `items`, at most `limit` at a time, answers in the items' order. */
async function pooled<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The `cause` of a failed fetch, for its reason (`fetch failed` alone says nothing). */
function causeOf(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  if (!cause || typeof cause !== 'object') return '';
  const { code, message } = cause as { code?: unknown; message?: unknown };
  return ` (${[code, message].filter((part) => typeof part === 'string' && part).join(': ')})`;
}

/** Account ids of an organization's simulated members: readable, the same for the same organization. */
function memberAccountId(organizationId: string, index: number): string {
  const prefix = Number.parseInt(createHash('sha256').update(organizationId).digest('hex').slice(0, 8), 16);
  return `6${String(prefix % 10_000).padStart(4, '0')}${String(index).padStart(7, '0')}`;
}

export function createSimulatedStackSet({
  endpoint,
  stateDir,
  concurrency = STACKSET_MAX_CONCURRENT,
}: SimulatedStackSetOptions) {
  const accounts = createSimulatedAccounts({ endpoint, stateDir });
  const organizations = organizationStore(stateDir);
  const targetsOf = (record: StackSetRecord) => record.targets ?? [rootIdOf(record.organizationId)];
  const recordFile = (organizationId: string) => join(stateDir, 'stacksets', `${organizationId}.json`);

  function load(organizationId: string): StackSetRecord | undefined {
    try {
      return JSON.parse(readFileSync(recordFile(organizationId), 'utf8')) as StackSetRecord;
    } catch {
      return undefined;
    }
  }
  function loadOrThrow(organizationId: string): StackSetRecord {
    const record = load(organizationId);
    if (!record) throw new Error(`No StackSet for organization ${organizationId} (run deploy-org first).`);
    return record;
  }
  function save(record: StackSetRecord) {
    mkdirSync(join(stateDir, 'stacksets'), { recursive: true });
    writeFileSync(recordFile(record.organizationId), JSON.stringify(record, null, 2));
  }

  /**
   * One stack instance, named as StackSets names them, recorded CURRENT or OUTDATED. A deployment
   * that throws (the local endpoint unreachable) fails that instance, as StackSets reports a
   * failed account, and not the others of the operation.
   */
  async function deployInstance(record: StackSetRecord, accountId: string): Promise<InstanceOutcome> {
    const stackName = `StackSet-${record.stackSetName}-${randomUUID()}`;
    const outcome: StackOutcome = await accounts
      .deploy({ launchUrl: record.launchUrl, accountId, stackName })
      .catch((error: unknown) => ({
        status: 'CREATE_FAILED' as const,
        reason: error instanceof Error ? `${error.message}${causeOf(error)}` : String(error),
        events: [],
      }));
    const instance: StackInstance = {
      accountId,
      stackName,
      status: outcome.status === 'CREATE_COMPLETE' ? 'CURRENT' : 'OUTDATED',
      ...(outcome.reason ? { reason: outcome.reason } : {}),
    };
    record.instances = [...record.instances.filter((i) => i.accountId !== accountId), instance];
    return { accountId, outcome };
  }

  async function deleteInstance(
    record: StackSetRecord,
    accountId: string,
  ): Promise<InstanceOutcome | undefined> {
    const instance = record.instances.find((i) => i.accountId === accountId);
    if (!instance) return undefined;
    // A failed deployment left no stack behind (it rolled back): only the instance goes.
    const outcome: StackOutcome =
      instance.status === 'CURRENT'
        ? await accounts.remove({ accountId, stackName: instance.stackName })
        : { status: 'DELETE_COMPLETE', events: [`(no stack in ${accountId}: its deployment had failed)`] };
    if (outcome.status === 'DELETE_COMPLETE')
      record.instances = record.instances.filter((i) => i.accountId !== accountId);
    return { accountId, outcome };
  }

  return {
    load,

    /**
     * Moves the local system's clock (its functions' `now`) on by `days`: time passes for Keyless,
     * not for the setup's stored `expiresAt`. Answers the new time.
     */
    async advanceClock(days: number): Promise<string> {
      const response = await fetch(`${endpoint}/_local/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advanceDays: days }),
      });
      const clock = (await response.json()) as { now?: string; message?: string };
      if (!response.ok) throw new Error(`Cannot move the clock on: ${clock.message}`);
      return clock.now ?? '';
    },

    /** The organization's structure (its root, OUs and accounts' parents). */
    organization: (organizationId: string): OrganizationTree => organizations.load(organizationId),

    /** CreateOrganizationalUnit under `parentId` (the root by default). */
    createOrganizationalUnit({
      organizationId,
      ouId,
      parentId = 'root',
    }: {
      organizationId: string;
      ouId: string;
      parentId?: string | undefined;
    }): OrganizationTree {
      const tree = organizations.load(organizationId);
      createOrganizationalUnit(tree, ouId, parentId);
      organizations.save(tree);
      return tree;
    },

    /**
     * create-stack-set + create-stack-instances for `organizationalUnitIds` (the root by default):
     * `accountCount` new member accounts, placed in those targets in turn (an OU not yet in the
     * organization is created under the root, standing for the customer's existing OUs), and an
     * instance for every account the targets cover. The management account, when given, joins the
     * organization (in the root) and is deployed by the launch link first, alone, so that at most
     * `concurrency` registrations of the setup await validation at once.
     */
    async deployOrganization({
      launchUrl,
      organizationId,
      accountCount,
      managementAccountId,
      organizationalUnitIds,
    }: {
      launchUrl: string;
      organizationId: string;
      accountCount: number;
      managementAccountId?: string | undefined;
      organizationalUnitIds?: readonly string[] | undefined;
    }): Promise<{ record: StackSetRecord; management?: StackOutcome; instances: InstanceOutcome[] }> {
      if (load(organizationId))
        throw new Error(`Organization ${organizationId} already has a StackSet (delete-org first).`);
      const tree = organizations.load(organizationId);
      const targets = [...new Set(organizationalUnitIds?.length ? organizationalUnitIds : [tree.rootId])];
      for (const target of targets) {
        checkParentId(tree, target);
        if (target !== tree.rootId && !tree.organizationalUnits[target])
          createOrganizationalUnit(tree, target, tree.rootId);
      }
      const record: StackSetRecord = {
        organizationId,
        stackSetName: parseLaunchUrl(launchUrl).stackName,
        launchUrl,
        ...(managementAccountId ? { managementAccountId } : {}),
        targets,
        instances: [],
      };
      save(record);
      let management: StackOutcome | undefined;
      if (managementAccountId) {
        if (!tree.accounts[managementAccountId]) addAccount(tree, managementAccountId);
        organizations.save(tree);
        await accounts.setOrganization(managementAccountId, organizationId);
        management = await accounts.deploy({ launchUrl, accountId: managementAccountId });
      }
      const members: string[] = [];
      for (let index = 1; members.length < accountCount; index++) {
        const accountId = memberAccountId(organizationId, index);
        if (accountId !== managementAccountId && !tree.accounts[accountId]) members.push(accountId);
      }
      members.forEach((accountId, index) => {
        addAccount(tree, accountId, targets[index % targets.length]);
      });
      organizations.save(tree);
      for (const accountId of members) await accounts.setOrganization(accountId, organizationId);
      const covered = targetedAccounts(tree, targets).filter((id) => id !== managementAccountId);
      const instances = await pooled(covered, concurrency, (accountId) => deployInstance(record, accountId));
      save(record);
      return { record, ...(management ? { management } : {}), instances };
    },

    /**
     * An account joins the organization, in its root (as an invited or created account does);
     * automatic deployment gives it an instance when the targets cover the root, and none otherwise.
     */
    async join({
      organizationId,
      accountId,
    }: {
      organizationId: string;
      accountId: string;
    }): Promise<InstanceOutcome | undefined> {
      const record = loadOrThrow(organizationId);
      if (accountId === record.managementAccountId)
        throw new Error(`Account ${accountId} is the management account: StackSets never deploy to it.`);
      const tree = organizations.load(organizationId);
      addAccount(tree, accountId);
      organizations.save(tree);
      await accounts.setOrganization(accountId, organizationId);
      if (!isTargeted(tree, accountId, targetsOf(record))) return undefined;
      const instance = await deployInstance(record, accountId);
      save(record);
      return instance;
    },

    /** An account leaves; with RetainStacksOnAccountRemoval=false its instance is deleted. */
    async leave({ organizationId, accountId }: { organizationId: string; accountId: string }) {
      const record = loadOrThrow(organizationId);
      const tree = organizations.load(organizationId);
      removeAccount(tree, accountId);
      organizations.save(tree);
      await accounts.setOrganization(accountId, undefined);
      const deleted = await deleteInstance(record, accountId);
      save(record);
      return deleted;
    },

    /**
     * MoveAccount to `destination` (the root or an OU). With automatic deployment, an account
     * that leaves every targeted OU loses its instance (whose Delete revokes its connection), and
     * one that comes under a target gets one, which calls back (docs/architecture.md §9.7). Moved
     * from one target to another (or to a child OU of its target), it stays a target: its instance
     * stays. The management account moves, and never has an instance.
     */
    async move({
      organizationId,
      accountId,
      destination,
    }: {
      organizationId: string;
      accountId: string;
      destination: string;
    }): Promise<{ from: string; to: string; effect: MoveEffect }> {
      const record = loadOrThrow(organizationId);
      const tree = organizations.load(organizationId);
      const targets = targetsOf(record);
      const wasTargeted = isTargeted(tree, accountId, targets);
      const { from, to } = moveAccount(tree, accountId, destination);
      organizations.save(tree);
      const targeted = isTargeted(tree, accountId, targets);
      const hasInstance = record.instances.some((i) => i.accountId === accountId);
      let effect: MoveEffect;
      if (accountId === record.managementAccountId)
        effect = { kind: 'none', why: 'the management account: StackSets never deploy to it' };
      else if (hasInstance && !targeted) {
        const deleted = await deleteInstance(record, accountId);
        effect = deleted
          ? { kind: 'deleted', instance: deleted }
          : { kind: 'none', why: 'it had no stack instance' };
      } else if (!hasInstance && targeted)
        effect = { kind: 'deployed', instance: await deployInstance(record, accountId) };
      else
        effect = {
          kind: 'none',
          why: targeted
            ? `still under the StackSet's targets (${targets.join(', ')}): its instance stays`
            : `${to} is not under the StackSet's targets (${targets.join(', ')}): no instance${wasTargeted ? '' : ', as before'}`,
        };
      save(record);
      return { from, to, effect };
    },

    /**
     * delete-stack-instances for every account, then delete-stack-set (refused by StackSets while
     * an instance remains). The management account's own stack is not the StackSet's: it stays.
     */
    async deleteOrganization({ organizationId }: { organizationId: string }) {
      const record = loadOrThrow(organizationId);
      const accountIds = record.instances.map((i) => i.accountId);
      const deleted = await pooled(accountIds, concurrency, (accountId) => deleteInstance(record, accountId));
      const stackSetDeleted = record.instances.length === 0;
      if (stackSetDeleted) rmSync(recordFile(organizationId), { force: true });
      else save(record);
      return {
        record,
        instances: deleted.filter((d): d is InstanceOutcome => d !== undefined),
        stackSetDeleted,
      };
    },
  };
}
