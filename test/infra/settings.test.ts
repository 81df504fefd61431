import { describe, expect, it } from 'vitest';
import { readSettings } from '#infra/stacks/settings.ts';

const from = (context: Record<string, unknown>, env: Record<string, string> = {}) =>
  readSettings((key) => context[key], env);

describe('readSettings', () => {
  it('applies the defaults and takes the home region from the CDK CLI', () => {
    expect(from({}, { CDK_DEFAULT_REGION: 'eu-central-1' })).toMatchObject({
      stage: 'dev',
      homeRegion: 'eu-central-1',
      ingressRegions: [],
      allowedCustomerAccounts: [],
      callbackReservedConcurrency: 10,
      validatorReservedConcurrency: 50,
      serviceTimeoutSeconds: 900,
    });
  });

  it('reads lists from cdk.json arrays and from -c comma lists, without the home region or repeats', () => {
    const settings = from({ homeRegion: 'eu-west-1', ingressRegions: 'us-east-1, eu-west-1,us-east-1' });
    expect(settings.ingressRegions).toEqual(['us-east-1']);
    expect(from({ allowedCustomerAccounts: ['222222222222'] }).allowedCustomerAccounts).toEqual([
      '222222222222',
    ]);
  });

  it('takes a pinned provider account, blank by default', () => {
    expect(from({}).providerAccountId).toBe('');
    expect(from({ providerAccountId: '123456789012' }).providerAccountId).toBe('123456789012');
    expect(() => from({ providerAccountId: '1234' })).toThrow(/providerAccountId must be a 12-digit/);
  });

  it('names every invalid setting at once', () => {
    const read = () =>
      from({
        stage: 'Prod',
        ingressRegions: ['mars-1'],
        allowedPrincipalOrgId: 'acme',
        logRetentionDays: 42,
      });
    expect(read).toThrow(/stage must be/);
    expect(read).toThrow(/ingressRegions\.0 must list AWS region names/);
    expect(read).toThrow(/allowedPrincipalOrgId must be an AWS Organization id/);
    expect(read).toThrow(/logRetentionDays must be a CloudWatch Logs retention/);
  });
});
