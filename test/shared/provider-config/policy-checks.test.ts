import { describe, expect, it } from 'vitest';
import { loadProviderConfig, parseProviderConfig } from '#shared/provider-config/load.ts';
import { checkPermissions, INLINE_POLICY_AGGREGATE_LIMIT } from '#shared/provider-config/policy-checks.ts';

const withOngoing = (ongoing: Record<string, unknown>) =>
  parseProviderConfig({ providerName: 'Acme Analytics', permissions: { ongoing } });

describe('checkPermissions', () => {
  it('passes the repository config and every example', async () => {
    expect(await checkPermissions(loadProviderConfig())).toEqual({ errors: [], warnings: [] });
  });

  it.each([
    [
      'a service that does not exist',
      'nosuchservice:GetThing',
      /Action: nosuchservice:GetThing names no AWS service/,
    ],
    [
      'an action the service does not have',
      's3:GetObjekt',
      /Action: s3:GetObjekt matches no action of s3; check its spelling/,
    ],
    ['a wildcard that matches nothing', 's3:Frobnicate*', /Action: s3:Frobnicate\* matches no action of s3/],
  ])('refuses %s, naming the statement', async (_what, action, message) => {
    const { errors } = await checkPermissions(
      withOngoing({ statements: [{ Effect: 'Allow', Action: [action], Resource: '*' }] }),
    );
    expect(errors).toEqual([
      expect.stringMatching(new RegExp(`^permissions\\.ongoing\\.statements\\[0\\]\\.${message.source}`)),
    ]);
  });

  it('warns about write actions granted on every resource, and not about reads', async () => {
    const { errors, warnings } = await checkPermissions(
      withOngoing({
        statements: [
          { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: '*' },
          { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' },
          { Effect: 'Allow', Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::reports/*' },
        ],
      }),
    );
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^permissions\.ongoing\.statements\[0\]: grants write actions on every resource .*s3:PutObject/,
      ),
      expect.stringMatching(/^permissions\.ongoing\.statements\[0\]: .*s3:DeleteObject/),
    ]);
  });

  it("refuses more managed policies than IAM's default quota, saying it can be raised", async () => {
    const managedPolicyArns = Array.from({ length: 11 }, (_, i) => `arn:aws:iam::aws:policy/Policy${i}`);
    const { errors } = await checkPermissions(withOngoing({ managedPolicyArns }));
    expect(errors).toEqual([
      expect.stringMatching(/11 managed policies, more than IAM's default quota of 10 .*raise it to 20/),
    ]);
  });

  it("refuses inline policies past IAM's 10,240-character aggregate", async () => {
    const statements = Array.from({ length: 60 }, (_, i) => ({
      Sid: `Read${i}`,
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: [
        `arn:aws:s3:::a-rather-long-bucket-name-for-reports-${i}`,
        `arn:aws:s3:::a-rather-long-bucket-name-for-reports-${i}/*`,
      ],
    }));
    const { errors } = await checkPermissions(withOngoing({ statements }));
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `inline policies take \\d+ characters, more than IAM's aggregate limit of ${INLINE_POLICY_AGGREGATE_LIMIT}`,
        ),
      ),
    ]);
  });

  it('refuses an optional action the statement does not grant', async () => {
    const { errors } = await checkPermissions(
      withOngoing({
        statements: [
          { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*', OptionalActions: ['s3:ListBucket'] },
        ],
      }),
    );
    expect(errors).toEqual([
      expect.stringMatching(/OptionalActions: s3:ListBucket is not one of this statement's actions/),
    ]);
  });

  it('refuses a role that would be granted nothing', async () => {
    const { errors } = await checkPermissions(withOngoing({}));
    expect(errors).toEqual([expect.stringMatching(/^permissions\.ongoing: grants nothing/)]);
  });
});
