import { describe, expect, it } from 'vitest';
import { loadConfig } from '#shared/config.ts';
import { ConfigurationError } from '#shared/errors.ts';

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const config = loadConfig(['TABLE_NAME', 'LEGACY_GRACE_DAYS', 'REVOCATION_STALENESS_SECONDS'], {
      TABLE_NAME: 'keyless',
    });
    expect(config).toEqual({ TABLE_NAME: 'keyless', LEGACY_GRACE_DAYS: 90, REVOCATION_STALENESS_SECONDS: 0 });
  });

  it('names every missing or invalid variable and says why', () => {
    const load = () =>
      loadConfig(['TABLE_NAME', 'PROVIDER_ACCOUNT_ID', 'LEGACY_GRACE_DAYS'], {
        PROVIDER_ACCOUNT_ID: '1234',
        LEGACY_GRACE_DAYS: 'soon',
      });
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(/TABLE_NAME is required \(the Keyless DynamoDB table name\)/);
    expect(load).toThrow(/PROVIDER_ACCOUNT_ID must be a 12-digit AWS account id/);
    expect(load).toThrow(/LEGACY_GRACE_DAYS must be a number/);
  });

  it('treats an empty variable as missing', () => {
    expect(() => loadConfig(['EVENT_BUS_NAME'], { EVENT_BUS_NAME: '' })).toThrow(
      /EVENT_BUS_NAME is required/,
    );
  });

  it('parses the region → topic map and rejects one that is not JSON', () => {
    expect(
      loadConfig(['REGISTRATION_TOPIC_ARNS'], {
        REGISTRATION_TOPIC_ARNS: '{"us-east-1":"arn:aws:sns:us-east-1:999988887777:keyless-registrations"}',
      }).REGISTRATION_TOPIC_ARNS,
    ).toEqual({ 'us-east-1': 'arn:aws:sns:us-east-1:999988887777:keyless-registrations' });
    expect(() => loadConfig(['REGISTRATION_TOPIC_ARNS'], { REGISTRATION_TOPIC_ARNS: 'nope' })).toThrow(
      /REGISTRATION_TOPIC_ARNS must be a JSON object of region → SNS topic ARN/,
    );
  });
});
