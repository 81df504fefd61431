import { describe, expect, it } from 'vitest';
import { upgradeFrom } from '#shared/customer-template/catalogue.ts';
import {
  catalogueOf,
  describeChanges,
  type TemplateContentConfig,
  templateContentRecord,
  withTemplateVersion,
} from '#shared/customer-template/versions.ts';
import { type ProviderConfig, providerConfigSchema } from '#shared/provider-config/schema.ts';

const provider = (statements: unknown[], managed: string[] = []): ProviderConfig =>
  providerConfigSchema.parse({
    providerName: 'Acme Analytics',
    permissions: { ongoing: { managedPolicyArns: managed, statements } },
  });
const read = { Effect: 'Allow', Action: ['ce:GetCostAndUsage'], Resource: '*' };
const content = (config: ProviderConfig): TemplateContentConfig => ({
  providerName: config.providerName,
  permissions: config.permissions,
});
const record = (config: ProviderConfig, version = 1) =>
  templateContentRecord(content(config), version, '2026-12-01');

describe('templateContentRecord', () => {
  it('gives the same fingerprint to a rebuild without a change', () => {
    expect(record(provider([read])).fingerprint).toBe(record(provider([read])).fingerprint);
  });

  it('changes the fingerprint when the permissions change', () => {
    const more = { ...read, Action: ['ce:GetCostAndUsage', 'ce:GetCostForecast'] };
    expect(record(provider([more])).fingerprint).not.toBe(record(provider([read])).fingerprint);
  });

  it('keeps the fingerprint when only the texts change (the provider renamed)', () => {
    const renamed = {
      ...content(provider([read])),
      providerName: 'Acme Analytics Inc',
      roleNamePrefix: 'AcmeAnalytics',
    };
    expect(templateContentRecord(renamed, 1, '2026-12-01').fingerprint).toBe(
      record(provider([read])).fingerprint,
    );
  });

  it('changes the fingerprint when the role name prefix changes (the parameter constraint does)', () => {
    const other = { ...content(provider([read])), roleNamePrefix: 'Other' };
    expect(templateContentRecord(other, 1, '2026-12-01').fingerprint).not.toBe(
      record(provider([read])).fingerprint,
    );
  });
});

describe('withTemplateVersion', () => {
  it('keeps the number for unchanged content and appends the next one for a change', () => {
    const first = withTemplateVersion([], record(provider([read])));
    expect(first).toMatchObject({ version: 1, recorded: true });
    expect(withTemplateVersion(first.history, record(provider([read])))).toMatchObject({
      version: 1,
      recorded: false,
    });
    const changed = withTemplateVersion(
      first.history,
      record(provider([read], ['arn:aws:iam::aws:policy/ReadOnlyAccess'])),
    );
    expect(changed).toMatchObject({ version: 2, recorded: true });
    expect(changed.history.map((entry) => entry.version)).toEqual([1, 2]);
  });

  it('gives content that returns to an earlier version a new number (stacks on the newest need an update)', () => {
    let history = withTemplateVersion([], record(provider([read]))).history;
    history = withTemplateVersion(
      history,
      record(provider([{ ...read, Action: 'ce:GetCostForecast' }])),
    ).history;
    expect(withTemplateVersion(history, record(provider([read])))).toMatchObject({
      version: 3,
      recorded: true,
    });
  });
});

describe('describeChanges', () => {
  it('names each action added and removed, per phase, and each managed policy', () => {
    const before = record(provider([read]));
    const after = record(
      provider(
        [{ ...read, Action: ['ce:GetCostForecast'] }],
        ['arn:aws:iam::aws:policy/job-function/ViewOnlyAccess'],
      ),
      2,
    );
    expect(describeChanges(before, after)).toEqual([
      'Allows ce:GetCostForecast',
      'No longer allows ce:GetCostAndUsage',
      'Attaches the AWS managed policy job-function/ViewOnlyAccess',
    ]);
  });

  it('says when only the resources or conditions of a statement changed', () => {
    const narrowed = { ...read, Resource: 'arn:${AWS::Partition}:ce:*:${AWS::AccountId}:anomalymonitor/*' };
    expect(describeChanges(record(provider([read])), record(provider([narrowed]), 2))).toEqual([
      'Changes the resources or conditions of the ongoing permissions',
    ]);
  });
});

describe('catalogueOf and upgradeFrom', () => {
  it('tells an older version what updating to the current one changes, and which parameters it keeps', () => {
    const v1 = record(provider([read]));
    const v2 = record(provider([{ ...read, Action: ['ce:GetCostAndUsage', 'ce:GetCostForecast'] }]), 2);
    const catalogue = catalogueOf([v1, v2]);
    expect(catalogue.current).toBe(2);
    expect(upgradeFrom(catalogue, '1')).toEqual({
      toVersion: 2,
      changes: ['Allows ce:GetCostForecast'],
      keptParameters: ['ExternalId', 'CustomerId', 'RoleName', 'SetupPhase', 'AllowedSourceIp'],
    });
  });

  it('offers no upgrade to the current version, a newer one, or a value that is not a version', () => {
    const catalogue = catalogueOf([record(provider([read]))]);
    expect(upgradeFrom(catalogue, '1')).toBeUndefined();
    expect(upgradeFrom(catalogue, '7')).toBeUndefined();
    expect(upgradeFrom(catalogue, 'v1')).toBeUndefined();
  });
});
