/**
 * A simulated service-managed StackSet with automatic deployment (docs/architecture.md §9.7): the
 * customer's organization and the stack instances StackSets keeps in its member accounts. Each
 * instance is deployed and deleted through the simulated stack's own path
 * (./simulated-stack.ts), so its custom resource calls back, and its Delete revokes, as in AWS.
 *
 * What StackSets does, and so this: it never deploys to the management account (that one uses the
 * launch link); it deploys at most `MaxConcurrentCount` instances at a time (the setup's
 * `stackSet.commands` say 5; `concurrency` as large as the organization deploys them all at once,
 * as automatic deployment does); with
 * `RetainStacksOnAccountRemoval=false` an account that leaves loses its instance. The StackSet
 * (its organization, link and instances) is remembered in the state directory.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  instances: StackInstance[];
}

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

  /** One stack instance, named as StackSets names them, recorded CURRENT or OUTDATED. */
  async function deployInstance(record: StackSetRecord, accountId: string): Promise<InstanceOutcome> {
    const stackName = `StackSet-${record.stackSetName}-${randomUUID()}`;
    const outcome = await accounts.deploy({ launchUrl: record.launchUrl, accountId, stackName });
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

    /**
     * create-stack-set + create-stack-instances for the organization's root: `accountCount` new
     * member accounts, each given its instance; the management account, when given, joins the
     * organization and is deployed by the launch link first, alone, so that at most `concurrency`
     * registrations of the setup await validation at once.
     */
    async deployOrganization({
      launchUrl,
      organizationId,
      accountCount,
      managementAccountId,
    }: {
      launchUrl: string;
      organizationId: string;
      accountCount: number;
      managementAccountId?: string | undefined;
    }): Promise<{ record: StackSetRecord; management?: StackOutcome; instances: InstanceOutcome[] }> {
      if (load(organizationId))
        throw new Error(`Organization ${organizationId} already has a StackSet (delete-org first).`);
      const record: StackSetRecord = {
        organizationId,
        stackSetName: parseLaunchUrl(launchUrl).stackName,
        launchUrl,
        ...(managementAccountId ? { managementAccountId } : {}),
        instances: [],
      };
      save(record);
      let management: StackOutcome | undefined;
      if (managementAccountId) {
        await accounts.setOrganization(managementAccountId, organizationId);
        management = await accounts.deploy({ launchUrl, accountId: managementAccountId });
      }
      const members: string[] = [];
      for (let index = 1; members.length < accountCount; index++) {
        const accountId = memberAccountId(organizationId, index);
        if (accountId !== managementAccountId) members.push(accountId);
      }
      for (const accountId of members) await accounts.setOrganization(accountId, organizationId);
      const instances = await pooled(members, concurrency, (accountId) => deployInstance(record, accountId));
      save(record);
      return { record, ...(management ? { management } : {}), instances };
    },

    /** An account joins the organization; automatic deployment gives it its instance. */
    async join({ organizationId, accountId }: { organizationId: string; accountId: string }) {
      const record = loadOrThrow(organizationId);
      if (accountId === record.managementAccountId)
        throw new Error(`Account ${accountId} is the management account: StackSets never deploy to it.`);
      await accounts.setOrganization(accountId, organizationId);
      const instance = await deployInstance(record, accountId);
      save(record);
      return instance;
    },

    /** An account leaves; with RetainStacksOnAccountRemoval=false its instance is deleted. */
    async leave({ organizationId, accountId }: { organizationId: string; accountId: string }) {
      const record = loadOrThrow(organizationId);
      await accounts.setOrganization(accountId, undefined);
      const deleted = await deleteInstance(record, accountId);
      save(record);
      return deleted;
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
