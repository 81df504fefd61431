/**
 * The onboarding pipeline, end to end through the local system, in its own process (the local
 * system runs the real handlers in-process and points this process's AWS SDK at its endpoint).
 *
 * Each onboarding: POST /setups (setup-api) → the simulated customer account "deploys" the
 * generated template from the launch URL (role with its trust policy in the local STS, the
 * custom resource's Create through SNS) → registration-callback → `Role Registered` on the bus →
 * role-validator (AssumeRole with and without the External ID, GetCallerIdentity) → ACTIVE →
 * CloudFormation answered → the stack is CREATE_COMPLETE. Stage boundaries come from the request
 * times and the connection's audit trail (written in the same process, on the same clock).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveChild } from '../harness/child.ts';
import { summarize } from '../harness/stats.ts';

export interface PipelineInput {
  onboardings: number;
  concurrency: number;
  baselineOnboardings: number;
}

export const STAGES = [
  'setup API (POST /setups)',
  'stack → REGISTERED (callback)',
  'REGISTERED → ACTIVE (validator)',
  'ACTIVE → CloudFormation answered',
  'end to end',
] as const;

export interface PipelineRun {
  onboardings: number;
  concurrency: number;
  wallMs: number;
  failures: string[];
  stages: { stage: string; p50Ms: number; p99Ms: number }[];
}

export interface PipelineOutput {
  measured: PipelineRun;
  baseline: PipelineRun;
}

async function run(input: PipelineInput): Promise<PipelineOutput> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const { startLocalSystem } = await import('#local/emulator/system.ts');
  const { createSimulatedAccounts } = await import('#local/emulator/simulated-stack.ts');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { createDocumentClient } = await import('#shared/clients/dynamodb.ts');
  const { createConnectionStore } = await import('#shared/store/connection-store.ts');

  const system = await startLocalSystem({
    port: 0,
    dataDir: null,
    schedules: false,
    tableName: 'keyless-bench',
  });
  const stateDir = await mkdtemp(join(tmpdir(), 'keyless-bench-stacks-'));
  try {
    const accounts = createSimulatedAccounts({ endpoint: system.endpoint, stateDir });
    // The endpoint settings the system just exported reach this client too.
    const store = createConnectionStore({
      client: createDocumentClient(new DynamoDBClient({})),
      tableName: 'keyless-bench',
    });
    let nextAccount = 400_000_000_000;

    async function onboard(label: string): Promise<number[]> {
      const customerId = `bench-${label}`;
      const accountId = String(nextAccount++);
      const started = Date.now();
      const response = await fetch(`${system.endpoint}/setups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customerId }),
      });
      if (response.status !== 201)
        throw new Error(`POST /setups answered ${response.status}: ${await response.text()}`);
      const { launchUrl } = (await response.json()) as { launchUrl: string };
      const offered = Date.now();
      const outcome = await accounts.deploy({ launchUrl, accountId });
      const answered = Date.now();
      if (outcome.status !== 'CREATE_COMPLETE')
        throw new Error(`${customerId}: ${outcome.status} ${outcome.reason ?? ''}`);
      const audit = await store.listAllAudit(customerId);
      const at = (to: string) => Date.parse(audit.find((entry) => entry.to === to)?.at ?? '');
      const registered = at('REGISTERED');
      const active = at('ACTIVE');
      if (Number.isNaN(registered) || Number.isNaN(active))
        throw new Error(`${customerId}: audit trail incomplete`);
      return [
        offered - started,
        registered - offered,
        active - registered,
        answered - active,
        answered - started,
      ];
    }

    async function measure(tag: string, onboardings: number, concurrency: number): Promise<PipelineRun> {
      const samples: number[][] = STAGES.map(() => []);
      const failures: string[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: Math.min(concurrency, onboardings) }, async () => {
          while (next < onboardings) {
            const i = next++;
            try {
              const stages = await onboard(`${tag}-${i}`);
              for (const [s, ms] of stages.entries()) samples[s]?.push(ms);
            } catch (error) {
              failures.push(error instanceof Error ? error.message : String(error));
            }
          }
        }),
      );
      const wallMs = performance.now() - started;
      return {
        onboardings,
        concurrency,
        wallMs,
        failures,
        stages: STAGES.map((stage, s) => {
          const { p50, p99 } = summarize(samples[s] ?? []);
          return { stage, p50Ms: p50, p99Ms: p99 };
        }),
      };
    }

    // One onboarding first, so both runs start with every function loaded (its cold start paid).
    await onboard('warm-up');
    const baseline = await measure('baseline', input.baselineOnboardings, 1);
    const measured = await measure('run', input.onboardings, input.concurrency);
    return { measured, baseline };
  } finally {
    await system.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

serveChild(run);
