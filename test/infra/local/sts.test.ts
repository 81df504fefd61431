import { beforeEach, describe, expect, it } from 'vitest';
import { createLocalSts, type LocalSts, StsError } from '../../../infra/local/sts.ts';
import { instantiateCustomerTemplate } from '../../../shared/customer-template/instantiate.ts';
import {
  buildCustomerTemplate,
  resolveCustomerTemplateConfig,
  trustedPrincipalArns,
} from '../../../shared/customer-template/template.ts';

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

  it('treats keys it did not issue as the provider role', () => {
    expect(sts.getCallerIdentity(sts.callerFor('AKIAIOSFODNN7EXAMPLE'))).toMatchObject({
      Arn: `arn:aws:sts::${PROVIDER}:assumed-role/keyless-local-role-validator/keyless-local`,
      Account: PROVIDER,
    });
  });
});
