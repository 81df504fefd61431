import { describe, expect, it } from 'vitest';
import { permissionChecksOf, resolveResources } from '#shared/permissions/checks.ts';

describe('permissionChecksOf', () => {
  it("checks each action of the Allow statements with its statement's resources and condition values", () => {
    const checks = permissionChecksOf({
      statements: [
        {
          Effect: 'Allow',
          Action: ['ssm:GetParameter', 's3:Get*'],
          Resource: 'arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter/*',
          Condition: {
            StringEquals: { 'aws:ResourceTag/team': 'data' },
            Bool: { 'aws:SecureTransport': 'true' },
          },
          OptionalActions: ['ssm:GetParameter'],
        },
        { Effect: 'Deny', Action: 'ssm:DeleteParameter', Resource: '*' },
      ],
    });
    // The wildcard action names no one action; the Deny grants nothing; Bool says nothing of the resource.
    expect(checks).toEqual([
      {
        action: 'ssm:GetParameter',
        resources: ['arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter/*'],
        context: { 'aws:ResourceTag/team': ['data'] },
        optional: true,
      },
    ]);
  });

  it('reads the built-in template statements, whose resources are Fn::Sub strings', () => {
    const [check] = permissionChecksOf({
      statements: [
        {
          Effect: 'Allow',
          Action: 'lambda:GetFunctionConfiguration',
          Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:*' }],
        },
      ],
    });
    expect(
      resolveResources(check!, { partition: 'aws', accountId: '111122223333', region: 'eu-west-1' }),
    ).toEqual(['arn:aws:lambda:*:111122223333:function:*']);
  });

  it("asks about each action's own service's resources when a statement grants several services", () => {
    const checks = permissionChecksOf({
      statements: [
        {
          Effect: 'Allow',
          Action: ['ssm:GetParameter', 'lambda:GetFunctionConfiguration'],
          Resource: [
            'arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter/*',
            'arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:*',
          ],
        },
      ],
    });
    expect(checks.map((check) => [check.action, check.resources])).toEqual([
      ['ssm:GetParameter', ['arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter/*']],
      ['lambda:GetFunctionConfiguration', ['arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:*']],
    ]);
  });

  it('adds the actions a managed policy grants when the config names them, on every resource', () => {
    expect(permissionChecksOf({ statements: [] }, ['cloudtrail:LookupEvents'])).toEqual([
      { action: 'cloudtrail:LookupEvents', resources: ['*'], context: {}, optional: false },
    ]);
  });
});
