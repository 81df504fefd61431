/**
 * `Probes` in the provider config (docs/architecture.md §9.4): only actions Keyless can probe, on
 * one resource of the customer's own account or none, for an action the statement grants, once,
 * in `permissions.ongoing`; and never in the IAM policy the template grants.
 */
import { describe, expect, it } from 'vitest';
import { ProviderConfigError, parseProviderConfig } from '#shared/provider-config/load.ts';
import { checkPermissions } from '#shared/provider-config/policy-checks.ts';
import { iamStatement } from '#shared/provider-config/schema.ts';

const statement = (probes: unknown, extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Action: ['dynamodb:DescribeTable', 'ssm:GetParameter'],
  Resource: '*',
  Probes: probes,
  ...extra,
});
const config = (ongoing: unknown[], setupPhase: unknown[] = []) => ({
  providerName: 'Acme Analytics',
  permissions: { ongoing: { statements: ongoing }, setupPhase: { statements: setupPhase } },
});
const problemsOf = (value: unknown) => {
  try {
    parseProviderConfig(value);
  } catch (error) {
    if (error instanceof ProviderConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('Probes in the provider config', () => {
  it('accepts a probe on a resource that does not exist, and one on a named resource', async () => {
    const parsed = parseProviderConfig(config([statement([{ Action: 'dynamodb:DescribeTable' }])]));
    expect(await checkPermissions(parsed)).toEqual({ errors: [], warnings: [] });
    const named = parseProviderConfig(
      config([
        statement([
          {
            Action: 'dynamodb:DescribeTable',
            Resource: 'arn:${AWS::Partition}:dynamodb:eu-west-1:${AWS::AccountId}:table/orders',
          },
        ]),
      ]),
    );
    expect(await checkPermissions(named)).toEqual({ errors: [], warnings: [] });
    // Keyless's own key: the IAM statement has no Probes.
    expect(iamStatement(parsed.permissions.ongoing.statements[0]!)).not.toHaveProperty('Probes');
  });

  it.each([
    [
      'an action Keyless cannot probe',
      [{ Action: 'ssm:GetParameter' }],
      'permissions.ongoing.statements[0].Probes[0].Action: must be an action Keyless can probe: dynamodb:DescribeTable',
    ],
    [
      'a resource with a wildcard',
      [
        {
          Action: 'dynamodb:DescribeTable',
          Resource: 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*',
        },
      ],
      expect.stringMatching(
        /^permissions\.ongoing\.statements\[0\]\.Probes\[0\]\.Resource: must be one resource of dynamodb:DescribeTable in the customer's own account/,
      ),
    ],
    [
      "another account's resource",
      [
        {
          Action: 'dynamodb:DescribeTable',
          Resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders',
        },
      ],
      expect.stringMatching(/Probes\[0\]\.Resource: must be one resource of dynamodb:DescribeTable/),
    ],
    [
      'an unknown key',
      [{ Action: 'dynamodb:DescribeTable', Every: 'day' }],
      expect.stringMatching(
        /^permissions\.ongoing\.statements\[0\]\.Probes\[0\]\.Every: is not a setting Keyless knows/,
      ),
    ],
  ])('refuses %s, naming the field', (_what, probes, problem) => {
    expect(problemsOf(config([statement(probes)]))).toEqual([problem]);
  });

  it.each([
    [
      'an action the statement does not grant',
      config([
        {
          Effect: 'Allow',
          Action: 'ssm:GetParameter',
          Resource: '*',
          Probes: [{ Action: 'dynamodb:DescribeTable' }],
        },
      ]),
      "permissions.ongoing.statements[0].Probes[0].Action: dynamodb:DescribeTable is not one of this statement's actions; probe an action the statement grants, written as it is there",
    ],
    [
      'a second probe of one action',
      config([
        statement([{ Action: 'dynamodb:DescribeTable' }]),
        statement([{ Action: 'dynamodb:DescribeTable' }]),
      ]),
      'permissions.ongoing.statements[1].Probes[0].Action: dynamodb:DescribeTable is probed twice; one probe per action',
    ],
    [
      'a probe in the setup phase',
      config([statement([])], [statement([{ Action: 'dynamodb:DescribeTable' }])]),
      'permissions.setupPhase.statements[0].Probes[0]: probes run for permissions.ongoing only (the setup phase is not checked); move it there or remove it',
    ],
    [
      'a probe of a Deny',
      config([statement([]), statement([{ Action: 'dynamodb:DescribeTable' }], { Effect: 'Deny' })]),
      'permissions.ongoing.statements[1].Probes[0]: a Deny statement grants nothing to probe; probe an action of an Allow statement',
    ],
  ])('refuses %s when checking the permissions', async (_what, value, error) => {
    const { errors } = await checkPermissions(parseProviderConfig(value));
    expect(errors).toEqual([error]);
  });
});
