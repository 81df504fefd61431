/**
 * One organization rolled out through a running local system (docs/architecture.md §9.7): an
 * organization setup, then the simulated StackSet deploying `accounts` member accounts, `concurrency`
 * at a time (all at once, as automatic deployment does, when equal), and the figures of the run:
 * time until every instance settled, instances failed, connections per status (paged through
 * `GET …/connections`), callbacks and AssumeRole calls (at the local STS) per account, and the
 * callback's peak concurrency against its reserved concurrency. Used by the e2e test and the bench.
 */
import { createSimulatedStackSet } from '#local/emulator/simulated-stackset.ts';

export interface RolloutInput {
  endpoint: string;
  stateDir: string;
  customerId: string;
  organizationId: string;
  accounts: number;
  concurrency: number;
  /** The `limit` of each `GET …/connections` page (default 100, the API's largest). */
  pageSize?: number;
}

export interface FunctionFigures {
  invocations: number;
  throttles: number;
  peakConcurrency: number;
  reservedConcurrency?: number;
}

export interface RolloutFigures {
  accounts: number;
  concurrency: number;
  /** From the first deployment to the last instance settled: every verdict answered. */
  wallMs: number;
  instancesFailed: number;
  failures: string[];
  statuses: Record<string, number>;
  /** Pages of `GET …/connections` read to see every account. */
  pages: number;
  callbacksPerAccount: number;
  assumeRolesPerAccount: number;
  callback: FunctionFigures;
  validator: FunctionFigures;
}

async function call<T>(endpoint: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok)
    throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

type Stats = {
  assumeRole: Record<string, { granted: number; denied: number }>;
  functions: Record<string, FunctionFigures>;
};

const assumeRoleTotal = (stats: Stats) =>
  Object.values(stats.assumeRole).reduce((sum, c) => sum + c.granted + c.denied, 0);

export async function rollOutOrganization(input: RolloutInput): Promise<RolloutFigures> {
  const { endpoint, customerId, organizationId, accounts } = input;
  const offer = await call<{ launchUrl: string }>(endpoint, 'POST', '/setups', {
    customerId,
    scope: 'organization',
    organizationId,
  });
  const before = await call<Stats>(endpoint, 'GET', '/_local/stats?reset=1');
  const stackSet = createSimulatedStackSet({
    endpoint,
    stateDir: input.stateDir,
    concurrency: input.concurrency,
  });
  const started = performance.now();
  const { instances } = await stackSet.deployOrganization({
    launchUrl: offer.launchUrl,
    organizationId,
    accountCount: accounts,
  });
  const wallMs = performance.now() - started;
  const after = await call<Stats>(endpoint, 'GET', '/_local/stats');

  const failed = instances.filter((i) => i.outcome.status !== 'CREATE_COMPLETE');
  const statuses: Record<string, number> = {};
  let pages = 0;
  let cursor: string | undefined;
  do {
    const page = await call<{ connections: { status: string }[]; cursor?: string }>(
      endpoint,
      'GET',
      `/customers/${customerId}/connections?limit=${input.pageSize ?? 100}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    pages++;
    for (const c of page.connections) statuses[c.status] = (statuses[c.status] ?? 0) + 1;
    cursor = page.cursor;
  } while (cursor);

  const figures = (name: string): FunctionFigures => {
    const {
      invocations = 0,
      throttles = 0,
      peakConcurrency = 0,
      reservedConcurrency,
    } = after.functions[name] ?? {};
    return {
      invocations,
      throttles,
      peakConcurrency,
      ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
    };
  };
  const callback = figures('registration-callback');
  return {
    accounts,
    concurrency: input.concurrency,
    wallMs,
    instancesFailed: failed.length,
    failures: failed.slice(0, 5).map((i) => `${i.accountId}: ${i.outcome.reason ?? i.outcome.status}`),
    statuses,
    pages,
    callbacksPerAccount: callback.invocations / accounts,
    assumeRolesPerAccount: (assumeRoleTotal(after) - assumeRoleTotal(before)) / accounts,
    callback,
    validator: figures('role-validator'),
  };
}
