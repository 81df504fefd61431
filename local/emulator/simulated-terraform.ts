/**
 * `terraform apply` and `terraform destroy` of a generated module in a simulated customer account
 * (docs/architecture.md §9.5), played from the module's own parsed resources (terraform-module.ts):
 * the role through the local endpoint's `/_local/roles`, then the `aws_lambda_invocation` with the
 * `tf` object the Terraform AWS provider adds under `lifecycle_scope = "CRUD"` — create with
 * `prev_input` null, update with the input last applied, delete with the input being destroyed —
 * through Lambda's Invoke API. What was applied is kept in a state directory, as Terraform's state.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { TERRAFORM_REGISTRATION_FUNCTION } from '#shared/customer-template/names.ts';
import { TERRAFORM_ADDRESSES } from '#shared/customer-template/terraform.ts';
import type { TerraformAction } from '#shared/onboarding/terraform-payload.ts';
import {
  type PlannedModule,
  type PlannedRole,
  planTerraformModule,
  readTerraformModule,
} from './terraform-module.ts';

/** What Terraform's state holds of the module once applied. */
export interface TerraformState {
  dir: string;
  accountId: string;
  role: PlannedRole;
  /** Absent while the registration has never succeeded (a failed create leaves nothing in state). */
  registration?: { functionName: string; input: Record<string, unknown>; result: unknown };
}

export interface TerraformOutcome {
  status: 'APPLY_COMPLETE' | 'APPLY_FAILED' | 'DESTROY_COMPLETE' | 'DESTROY_FAILED';
  reason?: string;
  /** What happened, one line per resource, as Terraform prints it. */
  events: string[];
  roleArn?: string;
}

export interface SimulatedTerraformOptions {
  endpoint: string;
  /** Where applied modules are remembered (beside the simulated stacks). */
  stateDir: string;
  /** The region of the customer's provider configuration. */
  region?: string;
}

/** The function the local endpoint runs for a module's registration ARN (keyless-<stage>-terraform-registration). */
export function localFunctionName(functionName: string): string {
  const name = functionName.startsWith('arn:') ? (functionName.split(':')[6] ?? '') : functionName;
  return name.endsWith(`-${TERRAFORM_REGISTRATION_FUNCTION}`) ? TERRAFORM_REGISTRATION_FUNCTION : name;
}

export function createSimulatedTerraform({
  endpoint,
  stateDir,
  region = 'us-east-1',
}: SimulatedTerraformOptions) {
  const lambda = new LambdaClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'AKIACUSTOMERLOCAL000', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const stateFile = (accountId: string, dir: string) => {
    const absolute = resolve(dir);
    const digest = createHash('sha256').update(absolute).digest('hex').slice(0, 8);
    return join(stateDir, accountId, `terraform-${basename(absolute)}-${digest}.json`);
  };
  const load = (accountId: string, dir: string): TerraformState | undefined => {
    try {
      return JSON.parse(readFileSync(stateFile(accountId, dir), 'utf8')) as TerraformState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  const save = (state: TerraformState) => {
    const file = stateFile(state.accountId, state.dir);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(state, null, 2));
  };

  async function local(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${endpoint}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
  }

  async function putRole(role: PlannedRole): Promise<string | undefined> {
    const response = await local('PUT', '/_local/roles', {
      arn: role.arn,
      trustPolicy: role.trustPolicy,
      policies: role.policies,
      maxSessionDuration: role.maxSessionDuration,
    });
    return response.ok ? undefined : ((await response.json()) as { message: string }).message;
  }

  /** One invocation as the provider makes it: RequestResponse, the input with `tf` added; a function error fails it. */
  async function invoke(
    functionName: string,
    action: TerraformAction,
    input: Record<string, unknown>,
    previous: Record<string, unknown> | null,
  ): Promise<{ ok: true; result: unknown } | { ok: false; reason: string }> {
    const payload = { ...input, tf: { action, prev_input: previous } };
    const answer = await lambda.send(
      new InvokeCommand({
        FunctionName: localFunctionName(functionName),
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
    if (answer.FunctionError)
      return { ok: false, reason: `invoking Lambda Function (${functionName}): ${text}` };
    return { ok: true, result: text === '' ? null : (JSON.parse(text) as unknown) };
  }

  async function apply({
    dir,
    accountId,
    variables = {},
  }: {
    dir: string;
    accountId: string;
    variables?: Record<string, string>;
  }): Promise<TerraformOutcome> {
    const events: string[] = [];
    const plan: PlannedModule = planTerraformModule(await readTerraformModule(dir), {
      accountId,
      region,
      variables,
    });
    const state = load(accountId, dir);
    const { role } = plan;
    if (state && state.role.arn !== role.arn) {
      // A new name replaces the role (destroy, then create, as Terraform orders a replacement).
      await local('DELETE', `/_local/roles?arn=${encodeURIComponent(state.role.arn)}`);
      events.push(`${TERRAFORM_ADDRESSES.role}: Destruction complete (replaced) ${state.role.arn}`);
    }
    const refused = await putRole(role);
    if (refused !== undefined) {
      events.push(`${TERRAFORM_ADDRESSES.role}: Error: ${refused}`);
      return { status: 'APPLY_FAILED', reason: refused, events };
    }
    events.push(`${TERRAFORM_ADDRESSES.role}: ${state ? 'Modifications' : 'Creation'} complete ${role.arn}`);
    const next: TerraformState = {
      dir: resolve(dir),
      accountId,
      role,
      ...(state?.registration ? { registration: state.registration } : {}),
    };
    save(next);

    const { functionName, input } = plan.registration;
    const before = state?.registration;
    const steps: [TerraformAction, string, Record<string, unknown>, Record<string, unknown> | null][] = [];
    if (!before) steps.push(['create', functionName, input, null]);
    else if (before.functionName !== functionName) {
      // function_name forces a new invocation resource: a delete to the old function, a create to the new.
      steps.push(['delete', before.functionName, before.input, before.input]);
      steps.push(['create', functionName, input, null]);
    } else if (JSON.stringify(before.input) !== JSON.stringify(input))
      steps.push(['update', functionName, input, before.input]);
    if (steps.length === 0) events.push(`${TERRAFORM_ADDRESSES.registration}: No changes`);
    for (const [action, name, payloadInput, previous] of steps) {
      const answer = await invoke(name, action, payloadInput, previous);
      if (!answer.ok) {
        events.push(`${TERRAFORM_ADDRESSES.registration}: Error: ${answer.reason}`);
        if (action === 'delete') return { status: 'APPLY_FAILED', reason: answer.reason, events };
        const { registration: _failed, ...kept } = next;
        save(action === 'create' ? kept : next);
        return { status: 'APPLY_FAILED', reason: answer.reason, events, roleArn: role.arn };
      }
      if (action === 'delete') {
        const { registration: _gone, ...kept } = next;
        save(kept);
        events.push(`${TERRAFORM_ADDRESSES.registration}: Destruction complete (replaced)`);
      } else {
        next.registration = { functionName: name, input: payloadInput, result: answer.result };
        save(next);
        events.push(
          `${TERRAFORM_ADDRESSES.registration}: ${action === 'create' ? 'Creation' : 'Modifications'} complete`,
        );
      }
    }
    return { status: 'APPLY_COMPLETE', events, roleArn: role.arn };
  }

  async function destroy({ dir, accountId }: { dir: string; accountId: string }): Promise<TerraformOutcome> {
    const events: string[] = [];
    const state = load(accountId, dir);
    if (!state) return { status: 'DESTROY_COMPLETE', reason: 'nothing was applied from this module', events };
    // Dependents first: the registration is revoked while the role still exists.
    if (state.registration) {
      const { functionName, input } = state.registration;
      const answer = await invoke(functionName, 'delete', input, input);
      if (!answer.ok) {
        events.push(`${TERRAFORM_ADDRESSES.registration}: Error: ${answer.reason}`);
        return { status: 'DESTROY_FAILED', reason: answer.reason, events };
      }
      const { registration: _gone, ...kept } = state;
      save(kept);
      events.push(`${TERRAFORM_ADDRESSES.registration}: Destruction complete`);
    }
    await local('DELETE', `/_local/roles?arn=${encodeURIComponent(state.role.arn)}`);
    events.push(`${TERRAFORM_ADDRESSES.role}: Destruction complete ${state.role.arn}`);
    rmSync(stateFile(accountId, dir), { force: true });
    return { status: 'DESTROY_COMPLETE', events, roleArn: state.role.arn };
  }

  return { apply, destroy, load };
}
