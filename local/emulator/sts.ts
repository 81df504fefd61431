/**
 * The local STS: customer roles "deployed" by simulated stacks, AssumeRole evaluated against each
 * role's real trust policy by an IAM policy engine, and the credentials it issues.
 *
 * `@cloud-copilot/iam-simulate` is AGPL-3.0: it is a devDependency used by the local runtime and
 * tests only, never imported from `functions/` or `shared/`, so it is never in a Lambda bundle.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import {
  EXTERNAL_ID_PATTERN,
  ROLE_ARN_PATTERN,
  SESSION_DURATION_MAX_SECONDS,
  SESSION_DURATION_MIN_SECONDS,
} from '#shared/domain/sts-limits.ts';

/** An IAM policy document (trust or identity policy), as IAM stores it. */
export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: unknown;
}

/** An error as STS answers it: code, message, HTTP status, and the fault side. */
export class StsError extends Error {
  constructor(
    readonly code:
      | 'AccessDenied'
      | 'ValidationError'
      | 'ExpiredToken'
      | 'MalformedPolicyDocument'
      | 'NoSuchEntity',
    message: string,
    readonly statusCode = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = 'StsError';
  }
}

export interface LocalRole {
  arn: string;
  accountId: string;
  name: string;
  /** AROA… id, as IAM assigns it. */
  roleId: string;
  trustPolicy: PolicyDocument;
  /** Identity policies attached to the role, by name. */
  policies: Record<string, PolicyDocument>;
  maxSessionDuration: number;
}

/** Who signed an STS request. */
export interface StsCaller {
  /** The ARN GetCallerIdentity answers (an assumed-role ARN for sessions). */
  arn: string;
  /** The IAM ARN policies see as aws:PrincipalArn (the role, for a session). */
  principalArn: string;
  accountId: string;
  userId: string;
  /** The identity policies of the caller. */
  identityPolicies: Record<string, PolicyDocument>;
  /** True for credentials issued by AssumeRole (assuming again is role chaining). */
  isAssumedRoleSession: boolean;
}

export interface AssumeRoleInput {
  RoleArn: string;
  RoleSessionName: string;
  ExternalId?: string | undefined;
  DurationSeconds?: number | undefined;
  SourceIdentity?: string | undefined;
  Tags?: { Key: string; Value: string }[] | undefined;
}

export interface IssuedCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: Date;
}

export interface AssumeRoleOutput {
  Credentials: IssuedCredentials;
  AssumedRoleUser: { Arn: string; AssumedRoleId: string };
  SourceIdentity?: string | undefined;
}

/** A granted AssumeRole, as `onAssumeRole` reports it. */
export interface AssumeRoleCall {
  roleArn: string;
  sessionName: string;
  externalId?: string | undefined;
  sourceIdentity?: string | undefined;
  /** As asked, or STS's default of 3600. */
  durationSeconds: number;
  /** The "now" the credentials were issued at (epoch ms): the caller's, with `callerClock`. */
  at: number;
  /** Their Expiration, which STS gives to the second. */
  expiresAt: number;
}

interface Session {
  credentials: IssuedCredentials;
  role: LocalRole;
  sessionName: string;
}

/**
 * The options after `now` are for benchmarks and tests. Their defaults are what AWS does: the local
 * runtime must never be kinder than STS.
 */
export interface LocalStsOptions {
  providerAccountId: string;
  /** The role a provider key not in `providerRoles` acts as (tools, the CLI): the validator's. */
  providerRoleArn: string;
  /**
   * The provider's own roles by access key: each function that assumes customer roles calls STS as
   * its own execution role, as in the stack (the validator's and the broker's), so a customer role
   * that trusts only one of them refuses the other here too (docs/architecture.md §8).
   */
  providerRoles?: Readonly<Record<string, string>>;
  /** Where deployed roles are kept between runs; in memory when absent. */
  persistPath?: string | undefined;
  /** The account of a long-lived key that is not the provider's (a legacy customer's IAM user key). */
  keyOwner?: (accessKeyId: string) => { accountId: string } | undefined;
  now?: () => number;
  /** Told of every AssumeRole granted, with its times (a benchmark counts the calls per lifetime). */
  onAssumeRole?: (call: AssumeRoleCall) => void;
  /**
   * STS's service time for each AssumeRole, uniform in [min, max] ms (30–80 ms from inside a region);
   * refusals take it too. None by default.
   */
  assumeRoleLatencyMs?: { min: number; max: number };
  /**
   * Issue credentials on the caller's clock: from the SigV4 signing time the request carries, not
   * STS's own, so a caller on a simulated clock (bench/harness/clock.ts) gets lifetimes on that
   * clock. startLocalStsServer then answers without a `Date` header, from which the SDK would
   * correct its clock back to real time. Off by default: STS dates credentials by its own clock.
   */
  callerClock?: boolean;
  /**
   * False skips the IAM policy engine on AssumeRole: any caller may assume a deployed role. STS's
   * input checks, the role's existence and its MaxSessionDuration still apply. For load benchmarks,
   * where the engine's millisecond or two per call would outweigh STS's own latency. True by default.
   */
  evaluateTrustPolicies?: boolean;
}

const SESSION_NAME_CHARS = /^[\w+=,.@-]*$/;
const ALLOW_ASSUME = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], Resource: '*' },
  ],
};

const uniqueId = (prefix: string, length: number) =>
  prefix +
  Array.from(randomBytes(length), (byte) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[byte % 32])
    .join('')
    .slice(0, length);

export type LocalSts = ReturnType<typeof createLocalSts>;

export function createLocalSts({
  providerAccountId,
  providerRoleArn,
  providerRoles = {},
  persistPath,
  keyOwner,
  now = Date.now,
  onAssumeRole,
  assumeRoleLatencyMs,
  callerClock = false,
  evaluateTrustPolicies = true,
}: LocalStsOptions) {
  const roles = new Map<string, LocalRole>(loadRoles(persistPath));
  const sessions = new Map<string, Session>();
  /** AssumeRole calls per role ARN and outcome, for `/_local/stats` (how often the broker really calls STS). */
  const calls = new Map<string, { granted: number; denied: number }>();
  const count = (roleArn: string, outcome: 'granted' | 'denied') => {
    const entry = calls.get(roleArn) ?? { granted: 0, denied: 0 };
    entry[outcome] += 1;
    calls.set(roleArn, entry);
  };
  for (const arn of [providerRoleArn, ...Object.values(providerRoles)]) {
    const match = ROLE_ARN_PATTERN.exec(arn);
    if (!match || match[2] !== providerAccountId)
      throw new Error(`The provider role ARN "${arn}" is not an IAM role ARN of ${providerAccountId}.`);
  }

  const persist = () => {
    if (persistPath) writeFileSync(persistPath, JSON.stringify([...roles.values()], null, 2));
  };

  /** Creates or replaces a role, as a stack's AWS::IAM::Role does. Rejects a trust policy IAM would reject. */
  async function putRole(input: {
    arn: string;
    trustPolicy: PolicyDocument;
    policies?: Record<string, PolicyDocument>;
    maxSessionDuration?: number;
  }): Promise<LocalRole> {
    const match = ROLE_ARN_PATTERN.exec(input.arn);
    if (!match) throw new StsError('ValidationError', `"${input.arn}" is not a valid IAM role ARN.`);
    const probe = await runSimulation(
      simulationFor(providerCaller(), input.arn, match[2] ?? '', input.trustPolicy, 'sts:AssumeRole', {}),
      {},
    );
    if (probe.resultType === 'error') {
      throw new StsError(
        'MalformedPolicyDocument',
        `Invalid trust policy for ${input.arn}: ${probe.errors.message}`,
      );
    }
    const role: LocalRole = {
      arn: input.arn,
      accountId: match[2] ?? '',
      name: (match[3] ?? '').split('/').pop() ?? '',
      roleId: roles.get(input.arn)?.roleId ?? uniqueId('AROA', 17),
      trustPolicy: input.trustPolicy,
      policies: input.policies ?? {},
      maxSessionDuration: input.maxSessionDuration ?? 3600,
    };
    roles.set(role.arn, role);
    persist();
    return role;
  }

  function deleteRole(arn: string): boolean {
    const existed = roles.delete(arn);
    for (const [key, session] of sessions) if (session.role.arn === arn) sessions.delete(key);
    persist();
    return existed;
  }

  /** A provider role's Lambda session, as a function's execution role calls STS. */
  function providerCaller(roleArn = providerRoleArn): StsCaller {
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    return {
      arn: `arn:aws:sts::${providerAccountId}:assumed-role/${roleName}/keyless-local`,
      principalArn: roleArn,
      accountId: providerAccountId,
      userId: `AROALOCALPROVIDER0000:keyless-local`,
      identityPolicies: { 'keyless-assume-customer-roles': ALLOW_ASSUME },
      isAssumedRoleSession: false,
    };
  }

  /**
   * The principal behind an access key: a session this STS issued, a legacy customer's IAM user key
   * (see `keyOwner`), a function's own role (`providerRoles`), or — for any other key, such as the
   * dummy keys of the other local functions or the AWS CLI — the provider's role `providerRoleArn`.
   */
  function callerFor(accessKeyId: string | undefined): StsCaller {
    const session = accessKeyId ? sessions.get(accessKeyId) : undefined;
    if (!session) {
      const ownRole = accessKeyId ? providerRoles[accessKeyId] : undefined;
      if (ownRole) return providerCaller(ownRole);
      const owner = accessKeyId ? keyOwner?.(accessKeyId) : undefined;
      if (!owner) return providerCaller();
      const userArn = `arn:aws:iam::${owner.accountId}:user/keyless-legacy-access`;
      return {
        arn: userArn,
        principalArn: userArn,
        accountId: owner.accountId,
        userId: 'AIDALOCALLEGACYUSER00',
        identityPolicies: {},
        isAssumedRoleSession: false,
      };
    }
    if (session.credentials.Expiration.getTime() <= now()) {
      throw new StsError('ExpiredToken', 'The security token included in the request is expired', 400);
    }
    const { role } = session;
    return {
      arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${session.sessionName}`,
      principalArn: role.arn,
      accountId: role.accountId,
      userId: `${role.roleId}:${session.sessionName}`,
      identityPolicies: role.policies,
      isAssumedRoleSession: true,
    };
  }

  /** `signedAt`: the request's SigV4 signing time (epoch ms), the issuing time with `callerClock`. */
  async function assumeRole(
    caller: StsCaller,
    input: AssumeRoleInput,
    sourceIp: string,
    signedAt?: number,
  ): Promise<AssumeRoleOutput> {
    if (assumeRoleLatencyMs) {
      const { min, max } = assumeRoleLatencyMs;
      await sleep(min + Math.random() * (max - min));
    }
    try {
      const issuedAt = callerClock && signedAt !== undefined ? signedAt : now();
      const output = await evaluateAssumeRole(caller, input, sourceIp, issuedAt);
      count(input.RoleArn, 'granted');
      onAssumeRole?.({
        roleArn: input.RoleArn,
        sessionName: input.RoleSessionName,
        externalId: input.ExternalId,
        sourceIdentity: input.SourceIdentity,
        durationSeconds: input.DurationSeconds ?? 3600,
        at: issuedAt,
        expiresAt: output.Credentials.Expiration.getTime(),
      });
      return output;
    } catch (error) {
      if (error instanceof StsError && error.code === 'AccessDenied') count(input.RoleArn, 'denied');
      throw error;
    }
  }

  async function evaluateAssumeRole(
    caller: StsCaller,
    input: AssumeRoleInput,
    sourceIp: string,
    issuedAt: number,
  ): Promise<AssumeRoleOutput> {
    validate(input, caller);
    const role = roles.get(input.RoleArn);
    if (!role) throw notAuthorized(caller, 'sts:AssumeRole', input.RoleArn);
    if (evaluateTrustPolicies) await evaluateTrustPolicy(caller, role, input, sourceIp);
    const duration = input.DurationSeconds ?? 3600;
    if (duration > role.maxSessionDuration) {
      throw new StsError(
        'ValidationError',
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
      );
    }
    const credentials: IssuedCredentials = {
      AccessKeyId: uniqueId('ASIA', 16),
      SecretAccessKey: randomBytes(30).toString('base64'),
      SessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(96).toString('base64')}`,
      Expiration: new Date(Math.floor((issuedAt + duration * 1000) / 1000) * 1000),
    };
    sessions.set(credentials.AccessKeyId, { credentials, role, sessionName: input.RoleSessionName });
    return {
      Credentials: credentials,
      AssumedRoleUser: {
        Arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${input.RoleSessionName}`,
        AssumedRoleId: `${role.roleId}:${input.RoleSessionName}`,
      },
      SourceIdentity: input.SourceIdentity,
    };
  }

  /** The role's trust policy and the caller's identity policies must allow every action the call takes. */
  async function evaluateTrustPolicy(
    caller: StsCaller,
    role: LocalRole,
    input: AssumeRoleInput,
    sourceIp: string,
  ): Promise<void> {
    const context: Record<string, string> = {
      'aws:SourceIp': sourceIp,
      'aws:PrincipalArn': caller.principalArn,
      'aws:PrincipalAccount': caller.accountId,
      'sts:RoleSessionName': input.RoleSessionName,
    };
    if (input.ExternalId !== undefined) context['sts:ExternalId'] = input.ExternalId;
    if (input.SourceIdentity !== undefined) context['sts:SourceIdentity'] = input.SourceIdentity;
    const actions = ['sts:AssumeRole'];
    if (input.SourceIdentity !== undefined) actions.push('sts:SetSourceIdentity');
    if (input.Tags?.length) actions.push('sts:TagSession');
    for (const action of actions) {
      const result = await runSimulation(
        simulationFor(caller, role.arn, role.accountId, role.trustPolicy, action, context),
        {},
      );
      if (result.resultType !== 'single' || result.overallResult !== 'Allowed')
        throw notAuthorized(caller, action, input.RoleArn);
    }
  }

  function getCallerIdentity(caller: StsCaller) {
    return { Arn: caller.arn, UserId: caller.userId, Account: caller.accountId };
  }

  return {
    putRole,
    deleteRole,
    getRole: (arn: string) => roles.get(arn),
    listRoles: () => [...roles.values()],
    callerFor,
    assumeRole,
    getCallerIdentity,
    assumeRoleCalls: () => Object.fromEntries(calls),
    /** Answers must then carry no `Date` header (see `callerClock`). */
    usesCallerClock: callerClock,
  };
}

/** STS's AccessDenied, in its words. */
function notAuthorized(caller: StsCaller, action: string, roleArn: string): StsError {
  return new StsError(
    'AccessDenied',
    `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${roleArn}`,
    403,
  );
}

function simulationFor(
  caller: StsCaller,
  roleArn: string,
  roleAccountId: string,
  trustPolicy: PolicyDocument,
  action: string,
  contextVariables: Record<string, string>,
) {
  return {
    request: {
      principal: caller.principalArn,
      action,
      resource: { resource: roleArn, accountId: roleAccountId },
      contextVariables,
    },
    identityPolicies: Object.entries(caller.identityPolicies).map(([name, policy]) => ({ name, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: trustPolicy,
  };
}

/** STS's own input validation, with its own messages. */
function validate(input: AssumeRoleInput, caller: StsCaller): void {
  const problems: string[] = [];
  const check = (ok: boolean, value: unknown, field: string, constraint: string) => {
    if (!ok)
      problems.push(`Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`);
  };
  const name = input.RoleSessionName ?? '';
  check(
    name.length >= 2 && name.length <= 64,
    name,
    'roleSessionName',
    'Member must have length between 2 and 64',
  );
  check(
    SESSION_NAME_CHARS.test(name),
    name,
    'roleSessionName',
    'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
  );
  if (input.ExternalId !== undefined) {
    check(
      EXTERNAL_ID_PATTERN.test(input.ExternalId),
      input.ExternalId,
      'externalId',
      'Member must satisfy regular expression pattern: [\\w+=,./@:-]* and have length between 2 and 1224',
    );
  }
  if (input.SourceIdentity !== undefined) {
    const identity = input.SourceIdentity;
    check(
      identity.length >= 2 && identity.length <= 64 && SESSION_NAME_CHARS.test(identity),
      identity,
      'sourceIdentity',
      'Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64',
    );
  }
  if (input.DurationSeconds !== undefined) {
    check(
      input.DurationSeconds >= SESSION_DURATION_MIN_SECONDS &&
        input.DurationSeconds <= SESSION_DURATION_MAX_SECONDS,
      input.DurationSeconds,
      'durationSeconds',
      `Member must have value between ${SESSION_DURATION_MIN_SECONDS} and ${SESSION_DURATION_MAX_SECONDS}`,
    );
  }
  if (problems.length > 0) {
    throw new StsError(
      'ValidationError',
      `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`,
    );
  }
  if (caller.isAssumedRoleSession && (input.DurationSeconds ?? 3600) > 3600) {
    throw new StsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }
}

function loadRoles(persistPath: string | undefined): [string, LocalRole][] {
  if (!persistPath) return [];
  try {
    const saved = JSON.parse(readFileSync(persistPath, 'utf8')) as LocalRole[];
    return saved.map((role) => [role.arn, role]);
  } catch {
    return [];
  }
}
