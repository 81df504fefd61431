import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installSimulatedClock } from '#bench/harness/clock.ts';
import { instantiateCustomerTemplate } from '#local/emulator/instantiate.ts';
import {
  type AssumeRoleCall,
  createLocalSts,
  type LocalSts,
  type LocalStsOptions,
  StsError,
} from '#local/emulator/sts.ts';
import { type LocalStsServer, startLocalStsServer } from '#local/emulator/sts-server.ts';
import {
  buildCustomerTemplate,
  resolveCustomerTemplateConfig,
  trustedPrincipalArns,
} from '#shared/customer-template/template.ts';

const PROVIDER = '999988887777';
const CUSTOMER = '111122223333';
const EXTERNAL_ID = 'keyless-acme-0123456789abcdef0123456789abcdef';
const config = resolveCustomerTemplateConfig({
  providerAccountId: PROVIDER,
  stage: 'local',
  regions: ['us-east-1'],
});
const [validatorRoleArn] = trustedPrincipalArns(config) as [string];

/** The role exactly as the generated customer template creates it. */
function customerRole(parameters: Record<string, string> = {}) {
  const stack = instantiateCustomerTemplate(buildCustomerTemplate(config), {
    accountId: CUSTOMER,
    region: 'us-east-1',
    parameters: { ExternalId: EXTERNAL_ID, CustomerId: 'acme', ...parameters },
  });
  return stack.role;
}

describe('createLocalSts', () => {
  let now: number;
  let sts: LocalSts;
  let roleArn: string;

  beforeEach(async () => {
    now = Date.parse('2026-11-24T12:00:00Z');
    sts = createLocalSts({ providerAccountId: PROVIDER, providerRoleArn: validatorRoleArn, now: () => now });
    const role = customerRole();
    roleArn = role.arn;
    await sts.putRole({
      arn: role.arn,
      trustPolicy: role.trustPolicy,
      maxSessionDuration: role.maxSessionDuration,
    });
  });

  const assume = (
    input: Partial<Parameters<LocalSts['assumeRole']>[1]> = {},
    caller = sts.callerFor('AKIAUNKNOWN'),
    ip = '127.0.0.1',
  ) =>
    sts.assumeRole(
      caller,
      { RoleArn: roleArn, RoleSessionName: 'role-validator-acme', ExternalId: EXTERNAL_ID, ...input },
      ip,
    );

  describe('AssumeRole', () => {
    it('issues expiring ASIA credentials to the provider role with the External ID', async () => {
      // Act
      const result = await assume({ SourceIdentity: 'role-validator' });
      // Assess
      expect(result.Credentials.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
      expect(result.Credentials.Expiration.toISOString()).toBe('2026-11-24T13:00:00.000Z');
      expect(result.AssumedRoleUser.Arn).toBe(
        `arn:aws:sts::${CUSTOMER}:assumed-role/KeylessAccess/role-validator-acme`,
      );
      expect(result.SourceIdentity).toBe('role-validator');
    });

    it('denies without the External ID, with the message STS gives', async () => {
      await expect(assume({ ExternalId: undefined })).rejects.toMatchObject({
        code: 'AccessDenied',
        statusCode: 403,
        message: `User: arn:aws:sts::${PROVIDER}:assumed-role/keyless-local-role-validator/keyless-local is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      });
    });

    it('denies a wrong External ID', async () => {
      await expect(
        assume({ ExternalId: 'keyless-acme-ffffffffffffffffffffffffffffffff' }),
      ).rejects.toMatchObject({
        code: 'AccessDenied',
      });
    });

    it('grants without the External ID when the trust policy lacks the condition (the confused deputy)', async () => {
      // Prepare
      const role = customerRole();
      for (const statement of role.trustPolicy.Statement) {
        delete (statement.Condition as Record<string, Record<string, unknown>>).StringEquals?.[
          'sts:ExternalId'
        ];
      }
      await sts.putRole({ arn: role.arn, trustPolicy: role.trustPolicy });
      // Act / Assess
      await expect(assume({ ExternalId: undefined })).resolves.toBeDefined();
    });

    it('denies a role that does not exist, as STS does', async () => {
      await expect(assume({ RoleArn: `arn:aws:iam::${CUSTOMER}:role/KeylessOther` })).rejects.toMatchObject({
        code: 'AccessDenied',
      });
    });

    it('honours the aws:SourceIp condition of a restricted role', async () => {
      // Prepare
      const role = customerRole({ AllowedSourceIp: '10.0.0.0/24' });
      await sts.putRole({ arn: role.arn, trustPolicy: role.trustPolicy });
      // Act / Assess
      await expect(assume({}, undefined, '10.0.0.7')).resolves.toBeDefined();
      await expect(assume({}, undefined, '127.0.0.1')).rejects.toMatchObject({ code: 'AccessDenied' });
    });

    it('rejects a session name outside STS limits with a ValidationError', async () => {
      await expect(assume({ RoleSessionName: 'has space' })).rejects.toMatchObject({
        code: 'ValidationError',
        message: expect.stringContaining(
          "Value 'has space' at 'roleSessionName' failed to satisfy constraint",
        ),
      });
    });

    it('refuses a duration above the role maximum', async () => {
      await expect(assume({ DurationSeconds: 7200 })).rejects.toMatchObject({
        code: 'ValidationError',
        message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      });
    });

    it('refuses a trust policy IAM would reject', async () => {
      await expect(
        sts.putRole({
          arn: `arn:aws:iam::${CUSTOMER}:role/KeylessBroken`,
          trustPolicy: { Statement: [{ Effect: 'Maybe' }] },
        }),
      ).rejects.toBeInstanceOf(StsError);
    });
  });

  describe('issued credentials', () => {
    it('answer GetCallerIdentity with the assumed-role ARN and the customer account', async () => {
      // Prepare
      const { Credentials } = await assume();
      // Act
      const identity = sts.getCallerIdentity(sts.callerFor(Credentials.AccessKeyId));
      // Assess
      expect(identity).toMatchObject({
        Arn: `arn:aws:sts::${CUSTOMER}:assumed-role/KeylessAccess/role-validator-acme`,
        Account: CUSTOMER,
      });
    });

    it('expire: a call after the expiration fails with ExpiredToken', async () => {
      // Prepare
      const { Credentials } = await assume({ DurationSeconds: 900 });
      // Act
      now += 901_000;
      // Assess
      expect(() => sts.callerFor(Credentials.AccessKeyId)).toThrow(
        expect.objectContaining({ code: 'ExpiredToken' }),
      );
    });

    it('die with the role: a deleted role leaves its sessions unknown', async () => {
      const { Credentials } = await assume();
      sts.deleteRole(roleArn);
      expect(sts.callerFor(Credentials.AccessKeyId).accountId).toBe(PROVIDER);
      await expect(assume()).rejects.toMatchObject({ code: 'AccessDenied' });
    });

    it('cannot assume the customer role again (not the trusted provider principal)', async () => {
      const { Credentials } = await assume();
      await expect(assume({}, sts.callerFor(Credentials.AccessKeyId))).rejects.toMatchObject({
        code: 'AccessDenied',
      });
    });
  });

  it("answers for a legacy customer's long-lived key as that customer's IAM user", () => {
    const withLegacy = createLocalSts({
      providerAccountId: PROVIDER,
      providerRoleArn: validatorRoleArn,
      keyOwner: (key) => (key === 'AKIALEGACYCUSTOMER00' ? { accountId: '777788889999' } : undefined),
    });
    expect(withLegacy.getCallerIdentity(withLegacy.callerFor('AKIALEGACYCUSTOMER00'))).toMatchObject({
      Account: '777788889999',
      Arn: 'arn:aws:iam::777788889999:user/keyless-legacy-access',
    });
    expect(withLegacy.getCallerIdentity(withLegacy.callerFor('AKIAOTHER0000000000')).Account).toBe(PROVIDER);
  });

  it("answers a function's own key as its execution role, which the customer role must trust itself", async () => {
    const [, brokerRoleArn] = trustedPrincipalArns(config) as [string, string];
    const withRoles = createLocalSts({
      providerAccountId: PROVIDER,
      providerRoleArn: validatorRoleArn,
      providerRoles: { AKIALOCALBROKER00000: brokerRoleArn },
      now: () => now,
    });
    const broker = withRoles.callerFor('AKIALOCALBROKER00000');
    expect(withRoles.getCallerIdentity(broker).Arn).toBe(
      `arn:aws:sts::${PROVIDER}:assumed-role/keyless-local-credential-broker/keyless-local`,
    );
    // A customer role that trusts the validator's role alone: the broker is refused, as in AWS.
    const role = customerRole();
    const trustPolicy = structuredClone(role.trustPolicy);
    for (const statement of trustPolicy.Statement as { Principal?: { AWS?: unknown } }[])
      if (statement.Principal?.AWS) statement.Principal.AWS = validatorRoleArn;
    await withRoles.putRole({ arn: role.arn, trustPolicy });
    const input = { RoleArn: role.arn, RoleSessionName: 'example-worker-acme', ExternalId: EXTERNAL_ID };
    await expect(withRoles.assumeRole(broker, input, '127.0.0.1')).rejects.toMatchObject({
      code: 'AccessDenied',
      message: expect.stringContaining('assumed-role/keyless-local-credential-broker/'),
    });
    await expect(
      withRoles.assumeRole(withRoles.callerFor('AKIAOTHER0000000000'), input, '127.0.0.1'),
    ).resolves.toMatchObject({ AssumedRoleUser: { Arn: expect.stringContaining('example-worker-acme') } });
  });

  it('treats keys it did not issue as the provider role', () => {
    expect(sts.getCallerIdentity(sts.callerFor('AKIAIOSFODNN7EXAMPLE'))).toMatchObject({
      Arn: `arn:aws:sts::${PROVIDER}:assumed-role/keyless-local-role-validator/keyless-local`,
      Account: PROVIDER,
    });
  });
});

describe('createLocalSts options for tests and benchmarks', () => {
  const role = customerRole();
  const input = {
    RoleArn: role.arn,
    RoleSessionName: 'bench-acme-1700000000',
    ExternalId: EXTERNAL_ID,
  };

  async function deployed(options: Partial<LocalStsOptions> = {}) {
    const sts = createLocalSts({
      providerAccountId: PROVIDER,
      providerRoleArn: validatorRoleArn,
      ...options,
    });
    await sts.putRole({
      arn: role.arn,
      trustPolicy: role.trustPolicy,
      maxSessionDuration: role.maxSessionDuration,
    });
    return sts;
  }
  const provider = (sts: LocalSts) => sts.callerFor('AKIDLOCAL');

  it('reports every granted AssumeRole to onAssumeRole, and no refusal', async () => {
    // Prepare
    const calls: AssumeRoleCall[] = [];
    const now = Date.parse('2026-11-24T12:00:00Z');
    const sts = await deployed({ onAssumeRole: (call) => calls.push(call), now: () => now });

    // Act
    await sts.assumeRole(provider(sts), { ...input, SourceIdentity: 'bench-worker' }, '127.0.0.1');
    await sts
      .assumeRole(provider(sts), { ...input, ExternalId: 'someone-else' }, '127.0.0.1')
      .catch(() => {});

    // Assess
    expect(calls).toEqual([
      {
        roleArn: role.arn,
        sessionName: 'bench-acme-1700000000',
        externalId: EXTERNAL_ID,
        sourceIdentity: 'bench-worker',
        durationSeconds: 3600,
        at: now,
        expiresAt: now + 3600_000,
      },
    ]);
  });

  it('takes assumeRoleLatencyMs to answer AssumeRole, a refusal too', async () => {
    const sts = await deployed({ assumeRoleLatencyMs: { min: 60, max: 60 } });
    const timed = async (call: Promise<unknown>) => {
      const started = performance.now();
      await call.catch(() => {});
      return performance.now() - started;
    };

    expect(await timed(sts.assumeRole(provider(sts), input, '127.0.0.1'))).toBeGreaterThanOrEqual(59);
    expect(
      await timed(sts.assumeRole(provider(sts), { ...input, ExternalId: undefined }, '127.0.0.1')),
    ).toBeGreaterThanOrEqual(59);
  });

  it('dates credentials from the signing time only with callerClock, from its own clock by default', async () => {
    // Prepare: a caller signing two hours ahead of STS
    const now = Date.parse('2026-11-24T12:00:00Z');
    const signedAt = now + 2 * 3600_000;
    const assumeSigned = async (sts: LocalSts) =>
      (await sts.assumeRole(provider(sts), input, '127.0.0.1', signedAt)).Credentials.Expiration.getTime();

    // Act / Assess
    expect(await assumeSigned(await deployed({ now: () => now }))).toBe(now + 3600_000);
    expect(await assumeSigned(await deployed({ now: () => now, callerClock: true }))).toBe(
      signedAt + 3600_000,
    );
  });

  it('skips the trust policy without evaluateTrustPolicies, but still refuses what STS refuses itself', async () => {
    const sts = await deployed({ evaluateTrustPolicies: false });
    const assume = (overrides: Partial<typeof input> & { DurationSeconds?: number }) =>
      sts.assumeRole(provider(sts), { ...input, ...overrides }, '127.0.0.1');

    await expect(assume({ ExternalId: 'someone-else' })).resolves.toBeDefined();
    await expect(assume({ RoleArn: `arn:aws:iam::${CUSTOMER}:role/KeylessOther` })).rejects.toMatchObject({
      code: 'AccessDenied',
    });
    await expect(assume({ DurationSeconds: 7200 })).rejects.toMatchObject({ code: 'ValidationError' });
    await expect(assume({ RoleSessionName: 'has space' })).rejects.toMatchObject({ code: 'ValidationError' });
  });
});

describe('the local STS over HTTP (startLocalStsServer), through the AWS SDK', () => {
  const role = customerRole();
  const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };
  let calls: AssumeRoleCall[];
  let server: LocalStsServer;

  async function serve(options: Partial<LocalStsOptions> = {}) {
    calls = [];
    const sts = createLocalSts({
      providerAccountId: PROVIDER,
      providerRoleArn: validatorRoleArn,
      onAssumeRole: (call) => calls.push(call),
      ...options,
    });
    await sts.putRole({
      arn: role.arn,
      trustPolicy: role.trustPolicy,
      maxSessionDuration: role.maxSessionDuration,
    });
    server = await startLocalStsServer(sts);
  }
  afterEach(() => server.stop());

  const client = (options: { systemClockOffset?: number } = {}) =>
    new STSClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
      ...options,
    });

  it('answers AssumeRole with credentials that expire DurationSeconds after the caller signed, with callerClock', async () => {
    // Prepare: a caller whose clock runs two hours ahead of this one
    await serve({ callerClock: true });
    const twoHours = 2 * 3600_000;

    // Act
    const { Credentials, AssumedRoleUser } = await client({ systemClockOffset: twoHours }).send(
      new AssumeRoleCommand({
        RoleArn: role.arn,
        RoleSessionName: 'bench-acme-1700000000',
        ExternalId: EXTERNAL_ID,
        DurationSeconds: 900,
      }),
    );

    // Assess
    expect(Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${CUSTOMER}:assumed-role/KeylessAccess/bench-acme-1700000000`,
    );
    const expected = Date.now() + twoHours + 900_000;
    expect(Math.abs((Credentials?.Expiration?.getTime() ?? 0) - expected)).toBeLessThan(5_000);
    expect(calls).toHaveLength(1);
  });

  it('refuses an External ID that is not the role’s with an AccessDenied the SDK recognises', async () => {
    await serve();

    const attempt = client().send(
      new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 'bench', ExternalId: 'someone-else' }),
    );

    await expect(attempt).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(calls).toHaveLength(0);
  });

  it('sends a Date header as STS does, and none with callerClock', async () => {
    const dateHeader = async () =>
      (
        await fetch(server.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'Action=GetCallerIdentity&Version=2011-06-15',
        })
      ).headers.get('date');

    await serve();
    expect(await dateHeader()).not.toBeNull();
    await server.stop();
    await serve({ callerClock: true });
    expect(await dateHeader()).toBeNull();
  });

  it('lets the SDK’s memoized provider, on a simulated clock, assume once per credential lifetime, with callerClock', async () => {
    // Prepare: the provider as an SDK client keeps it (memoized, refreshed 5 minutes before expiry)
    // (half a second past a whole second: the signing time STS sees is truncated to the second)
    await serve({ callerClock: true });
    const clock = installSimulatedClock(Math.floor(Date.now() / 1000) * 1000 + 500);
    try {
      const holder = new STSClient({
        region: 'us-east-1',
        credentials: fromTemporaryCredentials({
          params: {
            RoleArn: role.arn,
            ExternalId: EXTERNAL_ID,
            RoleSessionName: 'bench',
            DurationSeconds: 3600,
          },
          masterCredentials: credentials,
          clientConfig: { endpoint: server.endpoint, region: 'us-east-1' },
        }),
      });

      // Act: a vend every simulated minute for two hours
      for (let minute = 0; minute < 120; minute++) {
        await holder.config.credentials();
        clock.advance(60_000);
      }
    } finally {
      clock.uninstall();
    }

    // Assess: at 0, 55 and 110 minutes
    const first = calls[0]?.at ?? 0;
    expect(calls.map((call) => Math.round((call.at - first) / 60_000))).toEqual([0, 55, 110]);
  });
});
