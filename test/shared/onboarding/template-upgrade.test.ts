import { describe, expect, it } from 'vitest';
import type { TemplateCatalogue } from '#shared/customer-template/catalogue.ts';
import type { Connection } from '#shared/domain/connection.ts';
import { stackUpgradeOf } from '#shared/onboarding/template-upgrade.ts';

const catalogue: TemplateCatalogue = {
  current: 3,
  parameters: ['ExternalId', 'CustomerId', 'RoleName', 'SetupPhase', 'Region'],
  upgrades: {
    '1': {
      changes: ['Allows ce:GetCostForecast', 'Adds the parameter Region'],
      keptParameters: ['ExternalId', 'CustomerId', 'RoleName', 'SetupPhase'],
    },
    '2': {
      changes: ['Adds the parameter Region'],
      keptParameters: ['ExternalId', 'CustomerId', 'RoleName', 'SetupPhase'],
    },
  },
};
const templateUrl = 'https://templates.s3.eu-west-1.amazonaws.com/templates/v3.json';
const stackId =
  'arn:aws:cloudformation:eu-west-1:111122223333:stack/acme-analytics-acme/6b1e2f10-0000-4000-8000-000000000000';
const connection = (templateVersion?: string): Connection => ({
  customerId: 'acme',
  accountId: '111122223333',
  authMethod: 'ROLE',
  status: 'ACTIVE',
  version: 3,
  roleArn: 'arn:aws:iam::111122223333:role/AcmeAnalyticsAccess',
  externalId: 'acme-x',
  stackId,
  ...(templateVersion ? { templateVersion } : {}),
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('stackUpgradeOf', () => {
  it('names the changes, opens the stack update in its own region with the new template, and keeps the parameters', () => {
    const upgrade = stackUpgradeOf(connection('1'), { catalogue, templateUrl })!;
    expect(upgrade).toMatchObject({
      fromVersion: '1',
      toVersion: '3',
      changes: catalogue.upgrades['1']!.changes,
    });
    const url = new URL(upgrade.updateUrl);
    expect(url.origin).toBe('https://eu-west-1.console.aws.amazon.com');
    const [route, query] = url.hash.slice(1).split('?');
    expect(route).toBe('/stacks/update/template');
    expect(Object.fromEntries(new URLSearchParams(query))).toEqual({ stackId, templateURL: templateUrl });
    expect(upgrade.updateCommand).toBe(
      `aws cloudformation update-stack --region eu-west-1 --stack-name ${stackId} --template-url ${templateUrl} ` +
        '--parameters ParameterKey=ExternalId,UsePreviousValue=true ParameterKey=CustomerId,UsePreviousValue=true ' +
        'ParameterKey=RoleName,UsePreviousValue=true ParameterKey=SetupPhase,UsePreviousValue=true ' +
        '--capabilities CAPABILITY_NAMED_IAM',
    );
  });

  it('offers nothing to a stack on the current template, one with no version, or a connection on access keys', () => {
    expect(stackUpgradeOf(connection('3'), { catalogue, templateUrl })).toBeUndefined();
    expect(stackUpgradeOf(connection(), { catalogue, templateUrl })).toBeUndefined();
    const legacy: Connection = {
      customerId: 'acme',
      accountId: '111122223333',
      authMethod: 'ACCESS_KEYS',
      status: 'ACTIVE',
      version: 1,
      secretRef: 'keyless/legacy/acme',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    expect(stackUpgradeOf(legacy, { catalogue, templateUrl })).toBeUndefined();
  });
});
