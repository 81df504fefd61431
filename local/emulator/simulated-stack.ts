/**
 * Simulated customer accounts: "deploys" the generated customer template the way CloudFormation
 * would — parameters from the quick-create launch URL, intrinsics resolved, the role created with
 * its real trust policy in the local STS, the custom resource's Create sent through SNS with a
 * ResponseURL, the answer awaited within the template's ServiceTimeout — and deletes it again.
 *
 * It reaches the local system only through its endpoint: SNS Publish and PutEvents with the AWS
 * SDK, and the `/_local/` routes for what is IAM and CloudFormation in a real account, through
 * ./local-fetch.ts (a request that got no answer is tried again, as the SDK retries its own).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  type InstantiatedCustomerStack,
  instantiateCustomerTemplate,
  type PolicyDocument,
} from '#local/emulator/instantiate.ts';
import type { CloudFormationTemplate } from '#shared/customer-template/template.ts';
import { LOGICAL_IDS } from '#shared/customer-template/template.ts';
import { fetchLocal } from './local-fetch.ts';

/** Realistic ways a customer can get the role wrong, to watch the validator reject them. */
export const TAMPERS = {
  'no-external-id': 'the trust policy lacks the sts:ExternalId condition',
  'wrong-principal': 'the trust policy names another account as principal',
  'validator-only': "the trust policy names the provider's validator role but not its broker role",
  'missing-permissions': 'the trust policy leaves out sts:SetSourceIdentity and sts:TagSession',
  'wrong-role-arn': 'the custom resource reports a role ARN of another account',
} as const;
export type Tamper = keyof typeof TAMPERS;

export interface LaunchParameters {
  region: string;
  templateUrl: string;
  stackName: string;
  parameters: Record<string, string>;
}

/** Reads a CloudFormation quick-create link: region, templateURL, stackName and `param_*` values. */
export function parseLaunchUrl(launchUrl: string): LaunchParameters {
  const url = new URL(launchUrl);
  const fragment = url.hash.replace(/^#/, '');
  const query = new URLSearchParams(fragment.includes('?') ? fragment.slice(fragment.indexOf('?') + 1) : '');
  const templateUrl = query.get('templateURL');
  const stackName = query.get('stackName');
  const region = url.searchParams.get('region') ?? /^([a-z0-9-]+)\.console\./.exec(url.hostname)?.[1];
  if (!templateUrl || !stackName || !region) {
    throw new Error('Not a quick-create launch URL: it needs region, templateURL and stackName.');
  }
  const parameters: Record<string, string> = {};
  for (const [name, value] of query)
    if (name.startsWith('param_')) parameters[name.slice('param_'.length)] = value;
  return { region, templateUrl, stackName, parameters };
}

export interface StackRecord {
  stackId: string;
  stackName: string;
  accountId: string;
  region: string;
  status: 'CREATE_COMPLETE' | 'UPDATE_COMPLETE' | 'UPDATE_ROLLBACK_COMPLETE';
  roleArn: string;
  serviceToken: string;
  physicalResourceId: string;
  properties: Record<string, string>;
  serviceTimeoutSeconds: number;
  /** The stack's parameter values, as an Update with UsePreviousValue keeps them. */
  parameters?: Record<string, string>;
  /** The role as the stack's template made it, to roll an Update back to. */
  role?: RoleDefinition;
}

/** An IAM role as the local endpoint's `/_local/roles` takes it. */
interface RoleDefinition {
  arn: string;
  trustPolicy: PolicyDocument;
  policies: Record<string, PolicyDocument>;
  maxSessionDuration: number;
}

export interface StackOutcome {
  status:
    | 'CREATE_COMPLETE'
    | 'CREATE_FAILED'
    | 'UPDATE_COMPLETE'
    | 'UPDATE_ROLLBACK_COMPLETE'
    | 'DELETE_COMPLETE'
    | 'DELETE_FAILED';
  reason?: string;
  stack?: StackRecord;
  /** What happened, one line per CloudFormation event. */
  events: string[];
}

export interface SimulatedAccountsOptions {
  endpoint: string;
  /** Where deployed stacks are remembered (the customer side's state). */
  stateDir: string;
  region?: string;
  /** Overrides the template's ServiceTimeout (seconds), e.g. for a quick demo of a timeout. */
  serviceTimeoutSeconds?: number;
}

/** CloudFormation's answer when a custom resource never responds. */
export const NO_RESPONSE_REASON = (requestId: string) =>
  `CloudFormation did not receive a response from your Custom Resource. Please check your logs for requestId [${requestId}].`;

/** CloudFormation passes every custom resource property value as a string. */
function stringifyProperties(properties: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(properties).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}

function tamperWith(stack: InstantiatedCustomerStack, tamper: Tamper | undefined): InstantiatedCustomerStack {
  if (!tamper) return stack;
  const copy = structuredClone(stack);
  const statements = copy.role.trustPolicy.Statement;
  switch (tamper) {
    case 'no-external-id':
      for (const statement of statements) {
        const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
        for (const operator of Object.keys(condition ?? {})) {
          delete condition?.[operator]?.['sts:ExternalId'];
          if (condition && Object.keys(condition[operator] ?? {}).length === 0) delete condition[operator];
        }
      }
      break;
    case 'wrong-principal':
      for (const statement of statements) statement.Principal = { AWS: 'arn:aws:iam::123456789012:root' };
      break;
    case 'validator-only':
      // The template names the provider's roles in `aws:PrincipalArn`: keep the validator's alone.
      for (const statement of statements) {
        const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
        for (const operator of Object.keys(condition ?? {})) {
          const entries = condition?.[operator];
          if (entries?.['aws:PrincipalArn'] === undefined) continue;
          entries['aws:PrincipalArn'] = ([] as unknown[])
            .concat(entries['aws:PrincipalArn'])
            .filter((arn) => String(arn).endsWith('-role-validator'));
        }
      }
      break;
    case 'missing-permissions':
      for (const statement of statements) {
        const actions = ([] as unknown[]).concat(statement.Action ?? []);
        statement.Action = actions.filter((action) => action === 'sts:AssumeRole');
      }
      break;
    case 'wrong-role-arn':
      copy.registration.properties.RoleArn = String(copy.registration.properties.RoleArn).replace(
        /::\d{12}:/,
        '::123456789012:',
      );
      break;
  }
  return copy;
}

export function createSimulatedAccounts({
  endpoint,
  stateDir,
  region = 'us-east-1',
  serviceTimeoutSeconds,
}: SimulatedAccountsOptions) {
  const sns = new SNSClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'AKIACUSTOMERLOCAL000', secretAccessKey: 'local' },
  });
  const stackFile = (accountId: string, stackName: string) => join(stateDir, accountId, `${stackName}.json`);

  async function local(method: string, path: string, body?: unknown): Promise<Response> {
    return fetchLocal(`${endpoint}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
  }

  /** Sends one custom-resource request through SNS and waits for the answer within the timeout. */
  async function sendRequest(
    request: Record<string, unknown> & { StackId: string; LogicalResourceId: string; RequestId: string },
    serviceToken: string,
    timeoutSeconds: number,
  ): Promise<
    { Status: 'SUCCESS' | 'FAILED'; Reason?: string; PhysicalResourceId?: string } | { timedOut: true }
  > {
    const created = await local('POST', '/_local/cloudformation-responses', {
      stackId: request.StackId,
      logicalResourceId: request.LogicalResourceId,
    });
    const { id, url } = (await created.json()) as { id: string; url: string };
    await sns.send(
      new PublishCommand({
        TopicArn: serviceToken,
        Subject: 'AWS CloudFormation custom resource request',
        Message: JSON.stringify({ ...request, ResponseURL: url }),
      }),
    );
    const deadline = Date.now() + timeoutSeconds * 1000;
    while (Date.now() < deadline) {
      const wait = Math.max(1, Math.min(20, Math.ceil((deadline - Date.now()) / 1000)));
      const answer = await local('GET', `/_local/cloudformation-responses/${id}?waitSeconds=${wait}`);
      if (answer.status === 200) {
        const { body } = (await answer.json()) as { body: string };
        return checkResponse(body, request);
      }
    }
    return { timedOut: true };
  }

  /**
   * The customer's organization: a service control policy denying `actions` in the account (the
   * account joins a simulated organization); an empty list takes the SCP, and the organization, away.
   */
  async function setScp(accountId: string, actions: readonly string[]): Promise<void> {
    const response = await local('PUT', '/_local/scps', { accountId, denyActions: actions });
    if (!response.ok)
      throw new Error(`Cannot set the SCP: ${((await response.json()) as { message: string }).message}`);
  }

  /**
   * The customer's organization: a resource control policy denying `actions` on the account's
   * resources, to every principal (the account joins a simulated organization); an empty list takes
   * the RCP away. Only actions of services RCPs apply to are accepted (docs/architecture.md §9.4).
   */
  async function setRcp(accountId: string, actions: readonly string[]): Promise<void> {
    const response = await local('PUT', '/_local/rcps', { accountId, denyActions: actions });
    if (!response.ok)
      throw new Error(`Cannot set the RCP: ${((await response.json()) as { message: string }).message}`);
  }

  /**
   * A DynamoDB table in the account whose resource-based policy denies `denyActions` to role
   * `denyRole` (every principal without one); an empty list leaves it without a policy. What a
   * probe on a named table meets (docs/architecture.md §9.4). Answers the table's ARN.
   */
  async function putTable(table: {
    accountId: string;
    region: string;
    table: string;
    denyActions: readonly string[];
    denyRole?: string | undefined;
  }): Promise<string> {
    const response = await local('PUT', '/_local/tables', table);
    const answer = (await response.json()) as { message?: string; tableArn?: string };
    if (!response.ok || !answer.tableArn) throw new Error(`Cannot put the table: ${answer.message}`);
    return answer.tableArn;
  }

  async function deleteTable(table: { accountId: string; region: string; table: string }): Promise<void> {
    const response = await local('DELETE', '/_local/tables', table);
    if (!response.ok)
      throw new Error(`Cannot delete the table: ${((await response.json()) as { message: string }).message}`);
  }

  /** Puts the account in an organization (docs/architecture.md §9.7), or with undefined in none. */
  async function setOrganization(accountId: string, organizationId: string | undefined): Promise<void> {
    const response = await local('PUT', '/_local/organizations', {
      accountId,
      organizationId: organizationId ?? null,
    });
    if (!response.ok)
      throw new Error(
        `Cannot set the organization: ${((await response.json()) as { message: string }).message}`,
      );
  }

  /** A customer's hand edit: `actions` removed from every Allow of the account's roles' inline policies. */
  async function editRolePolicy(accountId: string, actions: readonly string[]): Promise<string[]> {
    const { roles } = (await (await local('GET', '/_local/roles')).json()) as {
      roles: (RoleDefinition & { accountId: string })[];
    };
    const edited: string[] = [];
    for (const role of roles.filter((r) => r.accountId === accountId)) {
      const policies = structuredClone(role.policies);
      for (const document of Object.values(policies)) {
        const statements = ([] as Record<string, unknown>[]).concat(
          document.Statement as Record<string, unknown>[],
        );
        for (const statement of statements) {
          if (statement.Effect !== 'Allow') continue;
          const kept = ([] as string[])
            .concat(statement.Action as string[])
            .filter((a) => !actions.includes(a));
          statement.Action = kept;
        }
        document.Statement = statements.filter(
          (statement) => (statement.Action as string[] | undefined)?.length !== 0,
        );
      }
      await local('PUT', '/_local/roles', {
        arn: role.arn,
        trustPolicy: role.trustPolicy,
        policies,
        maxSessionDuration: role.maxSessionDuration,
      });
      edited.push(role.arn);
    }
    return edited;
  }

  /**
   * A role the customer builds without CloudFormation (Terraform, the console, a script): the role
   * the provider's template describes, created directly in the account (`/_local/roles`), with no
   * custom resource. Returns its ARN, for `POST /setups/{setupId}/registrations`.
   */
  async function createRole({
    accountId,
    externalId,
    customerId = 'customer',
    roleName,
    tamper,
  }: {
    accountId: string;
    externalId: string;
    customerId?: string;
    roleName?: string | undefined;
    tamper?: Tamper | undefined;
  }): Promise<string> {
    const templateResponse = await fetchLocal(`${endpoint}/_local/templates/latest.json`);
    if (!templateResponse.ok) throw new Error(`Cannot fetch the template: HTTP ${templateResponse.status}`);
    const template = (await templateResponse.json()) as CloudFormationTemplate;
    const resolved = instantiateCustomerTemplate(template, {
      accountId,
      region,
      stackName: 'no-stack',
      parameters: {
        ExternalId: externalId,
        CustomerId: customerId,
        ...(roleName ? { RoleName: roleName } : {}),
      },
    });
    const role = roleDefinition(tamperWith(resolved, tamper));
    const response = await local('PUT', '/_local/roles', role);
    if (!response.ok) throw new Error(((await response.json()) as { message: string }).message);
    return role.arn;
  }

  async function deploy({
    launchUrl,
    accountId,
    tamper,
    denyActions,
    stackName,
  }: {
    launchUrl: string;
    accountId: string;
    /** Another name than the link's, as a StackSet names its instances (`StackSet-<name>-<id>`). */
    stackName?: string | undefined;
    tamper?: Tamper | undefined;
    /** Deploy into an account whose service control policy denies these actions. */
    denyActions?: readonly string[] | undefined;
  }): Promise<StackOutcome> {
    const events: string[] = [];
    if (denyActions?.length) {
      await setScp(accountId, denyActions);
      events.push(`(account ${accountId} is in an organization whose SCP denies ${denyActions.join(', ')})`);
    }
    const parsed = parseLaunchUrl(launchUrl);
    const launch = stackName ? { ...parsed, stackName } : parsed;
    const templateResponse = await fetchLocal(launch.templateUrl);
    if (!templateResponse.ok)
      throw new Error(`Cannot fetch the template at ${launch.templateUrl}: HTTP ${templateResponse.status}`);
    const template = (await templateResponse.json()) as CloudFormationTemplate;
    // As the console does: quick-create values of NoEcho parameters are ignored.
    const parameters = Object.fromEntries(
      Object.entries(launch.parameters).filter(([name]) => !template.Parameters?.[name]?.NoEcho),
    );
    // Template errors (a parameter breaking its constraint…) fail here, before anything exists, as in CloudFormation.
    const resolved = instantiateCustomerTemplate(template, {
      accountId,
      region: launch.region,
      stackName: launch.stackName,
      parameters,
    });
    // Every stack gets its own id, as CloudFormation gives it (the instantiation uses a placeholder).
    const stackId = `arn:aws:cloudformation:${launch.region}:${accountId}:stack/${launch.stackName}/${randomUUID()}`;
    const instantiated = tamperWith(
      JSON.parse(JSON.stringify(resolved).replaceAll(resolved.stackId, stackId)) as InstantiatedCustomerStack,
      tamper,
    );
    events.push(`CREATE_IN_PROGRESS ${launch.stackName} (account ${accountId}, ${launch.region})`);
    const role = roleDefinition(instantiated);
    const roleResponse = await local('PUT', '/_local/roles', role);
    if (!roleResponse.ok) {
      const { message } = (await roleResponse.json()) as { message: string };
      events.push(`CREATE_FAILED ${LOGICAL_IDS.role}: ${message}`);
      return { status: 'CREATE_FAILED', reason: message, events };
    }
    events.push(`CREATE_COMPLETE ${LOGICAL_IDS.role} ${instantiated.role.arn}`);

    const { ServiceTimeout, ...rest } = instantiated.registration.properties;
    const timeoutSeconds = serviceTimeoutSeconds ?? Number(ServiceTimeout ?? 3600);
    const properties = stringifyProperties({
      ServiceToken: instantiated.registration.serviceToken,
      ...(ServiceTimeout === undefined ? {} : { ServiceTimeout }),
      ...rest,
    });
    const requestId = randomUUID();
    const request = {
      RequestType: 'Create',
      ServiceToken: instantiated.registration.serviceToken,
      StackId: stackId,
      RequestId: requestId,
      LogicalResourceId: LOGICAL_IDS.registration,
      ResourceType: 'Custom::KeylessRegistration',
      ResourceProperties: properties,
    };
    events.push(
      `CREATE_IN_PROGRESS ${LOGICAL_IDS.registration} (request sent to ${instantiated.registration.serviceToken})`,
    );
    const answer = await sendRequest(request, instantiated.registration.serviceToken, timeoutSeconds);
    const failure =
      'timedOut' in answer
        ? NO_RESPONSE_REASON(requestId)
        : answer.Status === 'FAILED'
          ? (answer.Reason ?? 'FAILED')
          : undefined;
    if (failure !== undefined) {
      events.push(`CREATE_FAILED ${LOGICAL_IDS.registration}: ${failure}`);
      // Rollback: CloudFormation sends Delete with the failed answer's PhysicalResourceId, then removes the role.
      const physicalResourceId = 'timedOut' in answer ? undefined : answer.PhysicalResourceId;
      if (physicalResourceId) {
        await sendRequest(
          {
            ...request,
            RequestType: 'Delete',
            RequestId: randomUUID(),
            PhysicalResourceId: physicalResourceId,
          },
          instantiated.registration.serviceToken,
          timeoutSeconds,
        );
      }
      await local('DELETE', `/_local/roles?arn=${encodeURIComponent(instantiated.role.arn)}`);
      events.push(`ROLLBACK_COMPLETE ${launch.stackName}`);
      return { status: 'CREATE_FAILED', reason: failure, events };
    }
    const stack: StackRecord = {
      stackId,
      stackName: launch.stackName,
      accountId,
      region: launch.region,
      status: 'CREATE_COMPLETE',
      roleArn: instantiated.role.arn,
      serviceToken: instantiated.registration.serviceToken,
      physicalResourceId: 'timedOut' in answer ? '' : (answer.PhysicalResourceId ?? ''),
      properties,
      serviceTimeoutSeconds: timeoutSeconds,
      parameters: withDefaults(template, parameters),
      role,
    };
    save(stack);
    events.push(`CREATE_COMPLETE ${LOGICAL_IDS.registration} ${stack.physicalResourceId}`);
    events.push(`CREATE_COMPLETE ${launch.stackName}`);
    return { status: 'CREATE_COMPLETE', stack, events };
  }

  function save(stack: StackRecord) {
    mkdirSync(dirname(stackFile(stack.accountId, stack.stackName)), { recursive: true });
    writeFileSync(stackFile(stack.accountId, stack.stackName), JSON.stringify(stack, null, 2));
  }

  function load(accountId: string, stackName: string): StackRecord {
    try {
      return JSON.parse(readFileSync(stackFile(accountId, stackName), 'utf8')) as StackRecord;
    } catch {
      throw new Error(`No stack ${stackName} in account ${accountId} (deploy it first).`);
    }
  }

  /**
   * `aws cloudformation update-stack` with a new template, every parameter the new template shares
   * with the stack kept (UsePreviousValue), new ones at their defaults. As in CloudFormation, the role
   * is updated first; the custom resource gets an Update only when its properties changed, and a
   * failed Update rolls the role back and sends the custom resource an Update back to the old
   * properties.
   */
  async function update({
    accountId,
    stackName,
    templateUrl = `${endpoint}/_local/templates/latest.json`,
  }: {
    accountId: string;
    stackName: string;
    templateUrl?: string;
  }): Promise<StackOutcome> {
    const events: string[] = [];
    const stack = load(accountId, stackName);
    const templateResponse = await fetchLocal(templateUrl);
    if (!templateResponse.ok)
      throw new Error(`Cannot fetch the template at ${templateUrl}: HTTP ${templateResponse.status}`);
    const template = (await templateResponse.json()) as CloudFormationTemplate;
    const previous = stack.parameters ?? previousParametersOf(stack);
    const parameters = Object.fromEntries(
      Object.entries(previous).filter(([name]) => name in (template.Parameters ?? {})),
    );
    const resolved = instantiateCustomerTemplate(template, {
      accountId,
      region: stack.region,
      stackName,
      parameters,
    });
    const instantiated = JSON.parse(
      JSON.stringify(resolved).replaceAll(resolved.stackId, stack.stackId),
    ) as InstantiatedCustomerStack;
    if (instantiated.role.arn !== stack.roleArn) {
      throw new Error('This update would rename the role: CloudFormation would replace it. Not simulated.');
    }
    events.push(`UPDATE_IN_PROGRESS ${stackName}`);
    const role = roleDefinition(instantiated);
    const roleResponse = await local('PUT', '/_local/roles', role);
    if (!roleResponse.ok) {
      const { message } = (await roleResponse.json()) as { message: string };
      events.push(`UPDATE_FAILED ${LOGICAL_IDS.role}: ${message}`);
      return { status: 'UPDATE_ROLLBACK_COMPLETE', reason: message, events };
    }
    events.push(`UPDATE_COMPLETE ${LOGICAL_IDS.role}`);

    const { ServiceTimeout, ...rest } = instantiated.registration.properties;
    const timeoutSeconds = Number(ServiceTimeout ?? stack.serviceTimeoutSeconds);
    const properties = stringifyProperties({
      ServiceToken: instantiated.registration.serviceToken,
      ...(ServiceTimeout === undefined ? {} : { ServiceTimeout }),
      ...rest,
    });
    const updated: StackRecord = {
      ...stack,
      status: 'UPDATE_COMPLETE',
      properties,
      serviceToken: instantiated.registration.serviceToken,
      serviceTimeoutSeconds: timeoutSeconds,
      parameters: withDefaults(template, parameters),
      role,
    };
    if (JSON.stringify(properties) === JSON.stringify(stack.properties)) {
      // Unchanged properties: CloudFormation sends the custom resource nothing.
      save(updated);
      events.push(`UPDATE_COMPLETE ${stackName}`);
      return { status: 'UPDATE_COMPLETE', stack: updated, events };
    }
    const request = {
      RequestType: 'Update',
      ServiceToken: instantiated.registration.serviceToken,
      StackId: stack.stackId,
      RequestId: randomUUID(),
      LogicalResourceId: LOGICAL_IDS.registration,
      ResourceType: 'Custom::KeylessRegistration',
      PhysicalResourceId: stack.physicalResourceId,
      ResourceProperties: properties,
      OldResourceProperties: stack.properties,
    };
    events.push(`UPDATE_IN_PROGRESS ${LOGICAL_IDS.registration}`);
    const answer = await sendRequest(request, instantiated.registration.serviceToken, timeoutSeconds);
    const failure =
      'timedOut' in answer
        ? NO_RESPONSE_REASON(request.RequestId)
        : answer.Status === 'FAILED'
          ? (answer.Reason ?? 'FAILED')
          : undefined;
    if (failure === undefined && !('timedOut' in answer)) {
      // A new PhysicalResourceId would be a replacement; the template's UpdateReplacePolicy Retain
      // means CloudFormation sends no Delete for the old one.
      updated.physicalResourceId = answer.PhysicalResourceId ?? stack.physicalResourceId;
      save(updated);
      events.push(`UPDATE_COMPLETE ${LOGICAL_IDS.registration} ${updated.physicalResourceId}`);
      events.push(`UPDATE_COMPLETE ${stackName}`);
      return { status: 'UPDATE_COMPLETE', stack: updated, events };
    }
    events.push(`UPDATE_FAILED ${LOGICAL_IDS.registration}: ${failure}`);
    events.push(`UPDATE_ROLLBACK_IN_PROGRESS ${stackName}`);
    // Rollback: the custom resource is updated back to its old properties, then the role.
    await sendRequest(
      {
        ...request,
        RequestId: randomUUID(),
        ResourceProperties: stack.properties,
        OldResourceProperties: properties,
      },
      stack.serviceToken,
      stack.serviceTimeoutSeconds,
    );
    if (stack.role) await local('PUT', '/_local/roles', stack.role);
    save({ ...stack, status: 'UPDATE_ROLLBACK_COMPLETE' });
    events.push(`UPDATE_ROLLBACK_COMPLETE ${stackName}`);
    return { status: 'UPDATE_ROLLBACK_COMPLETE', reason: failure, events };
  }

  async function remove({
    accountId,
    stackName,
  }: {
    accountId: string;
    stackName: string;
  }): Promise<StackOutcome> {
    const events: string[] = [];
    const stack = load(accountId, stackName);
    events.push(`DELETE_IN_PROGRESS ${stackName}`);
    const answer = await sendRequest(
      {
        RequestType: 'Delete',
        ServiceToken: stack.serviceToken,
        StackId: stack.stackId,
        RequestId: randomUUID(),
        LogicalResourceId: LOGICAL_IDS.registration,
        ResourceType: 'Custom::KeylessRegistration',
        PhysicalResourceId: stack.physicalResourceId,
        ResourceProperties: stack.properties,
      },
      stack.serviceToken,
      stack.serviceTimeoutSeconds,
    );
    if ('timedOut' in answer || answer.Status === 'FAILED') {
      const reason = 'timedOut' in answer ? 'no response' : (answer.Reason ?? 'FAILED');
      events.push(`DELETE_FAILED ${LOGICAL_IDS.registration}: ${reason}`);
      return { status: 'DELETE_FAILED', reason, events };
    }
    events.push(`DELETE_COMPLETE ${LOGICAL_IDS.registration}`);
    await local('DELETE', `/_local/roles?arn=${encodeURIComponent(stack.roleArn)}`);
    events.push(`DELETE_COMPLETE ${LOGICAL_IDS.role}`);
    // The customer forwards its stack status changes to the provider's bus (cross-account rule).
    await local('POST', '/_local/forwarded-events', {
      version: '0',
      id: randomUUID(),
      'detail-type': 'CloudFormation Stack Status Change',
      source: 'aws.cloudformation',
      account: accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: stack.region,
      resources: [stack.stackId],
      detail: {
        'stack-id': stack.stackId,
        'status-details': { status: 'DELETE_COMPLETE', 'status-reason': '' },
        'client-request-token': '',
      },
    });
    rmSync(stackFile(accountId, stackName), { force: true });
    events.push(`DELETE_COMPLETE ${stackName}`);
    return { status: 'DELETE_COMPLETE', events };
  }

  return {
    deploy,
    update,
    remove,
    setScp,
    setRcp,
    putTable,
    deleteTable,
    setOrganization,
    editRolePolicy,
    createRole,
  };
}

/** The role a stack's resolved template defines, as `/_local/roles` takes it. */
function roleDefinition(instantiated: InstantiatedCustomerStack): RoleDefinition {
  return {
    arn: instantiated.role.arn,
    trustPolicy: instantiated.role.trustPolicy,
    policies: Object.fromEntries(
      instantiated.role.policies.map((policy) => [
        policy.policyName,
        policy.policyDocument as PolicyDocument,
      ]),
    ),
    maxSessionDuration: instantiated.role.maxSessionDuration,
  };
}

/** Every parameter's value: the given ones, and the template's defaults for the rest. */
function withDefaults(
  template: CloudFormationTemplate,
  parameters: Record<string, string>,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const value = parameters[name] ?? parameter.Default;
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/** A stack recorded before its parameters were: what its properties and role tell of them. */
function previousParametersOf(stack: StackRecord): Record<string, string> {
  return {
    ...(stack.properties.CustomerId ? { CustomerId: stack.properties.CustomerId } : {}),
    ...(stack.properties.ExternalId ? { ExternalId: stack.properties.ExternalId } : {}),
    RoleName: stack.roleArn.split('/').pop() ?? '',
  };
}

/** Checks an answer the way CloudFormation does; a malformed one fails the resource. */
function checkResponse(
  body: string,
  request: { StackId: string; RequestId: string; LogicalResourceId: string },
): { Status: 'SUCCESS' | 'FAILED'; Reason?: string; PhysicalResourceId?: string } {
  if (Buffer.byteLength(body) > 4096) return { Status: 'FAILED', Reason: 'Response object is too long.' };
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { Status: 'FAILED', Reason: 'Invalid response object: not JSON.' };
  }
  const { Status, Reason, PhysicalResourceId } = answer;
  if (Status !== 'SUCCESS' && Status !== 'FAILED')
    return { Status: 'FAILED', Reason: `Invalid response object: Status ${String(Status)}` };
  if (typeof PhysicalResourceId !== 'string' || PhysicalResourceId === '') {
    return { Status: 'FAILED', Reason: 'Invalid PhysicalResourceId' };
  }
  for (const field of ['StackId', 'RequestId', 'LogicalResourceId'] as const) {
    if (answer[field] !== request[field])
      return { Status: 'FAILED', Reason: `Invalid response object: ${field} does not match` };
  }
  if (Status === 'FAILED' && (typeof Reason !== 'string' || Reason === '')) {
    return { Status, Reason: 'See the details in CloudWatch Log Stream', PhysicalResourceId };
  }
  return { Status, ...(typeof Reason === 'string' ? { Reason } : {}), PhysicalResourceId };
}
