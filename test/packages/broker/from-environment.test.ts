import {
  BrokerConfigurationError,
  brokerSettingsFromEnvironment,
  createBrokerFromEnvironment,
  createConsoleLogger,
} from '@keyless/broker';
import { describe, expect, it } from 'vitest';

const logger = createConsoleLogger('env-test', 'SILENT');

describe('Function: brokerSettingsFromEnvironment', () => {
  it('fails at cold start naming every invalid variable', () => {
    const read = () =>
      brokerSettingsFromEnvironment({ REVOCATION_STALENESS_SECONDS: '-1', REVOCATION_MODE: 'sometimes' });
    expect(read).toThrow(BrokerConfigurationError);
    expect(read).toThrow(
      /TABLE_NAME is required.*REVOCATION_STALENESS_SECONDS must be.*REVOCATION_MODE must be/,
    );
  });

  it('defaults to strict: every vend re-reads the status (invariant 5)', () => {
    expect(brokerSettingsFromEnvironment({ TABLE_NAME: 'keyless' }).revocation).toEqual({ mode: 'strict' });
  });

  it('reads the feed mode with its interval, and a staleness bound alone as bounded', () => {
    expect(brokerSettingsFromEnvironment({ TABLE_NAME: 't', REVOCATION_MODE: 'feed' }).revocation).toEqual({
      mode: 'feed',
      intervalSeconds: 1,
    });
    expect(
      brokerSettingsFromEnvironment({
        TABLE_NAME: 't',
        REVOCATION_MODE: 'feed',
        REVOCATION_FEED_INTERVAL_SECONDS: '2',
      }).revocation,
    ).toEqual({ mode: 'feed', intervalSeconds: 2 });
    expect(
      brokerSettingsFromEnvironment({ TABLE_NAME: 't', REVOCATION_STALENESS_SECONDS: '300' }).revocation,
    ).toEqual({ mode: 'bounded', stalenessSeconds: 300 });
  });

  it('names sessions after the function and refuses a bounded mode without a bound', () => {
    const settings = brokerSettingsFromEnvironment({
      TABLE_NAME: 't',
      AWS_LAMBDA_FUNCTION_NAME: 'inventory-worker',
    });
    expect(settings).toMatchObject({ serviceName: 'inventory-worker', sourceIdentity: 'inventory-worker' });
    expect(() => brokerSettingsFromEnvironment({ TABLE_NAME: 't', REVOCATION_MODE: 'bounded' })).toThrow(
      /must be above 0 in bounded mode/,
    );
  });
});

describe('Function: createBrokerFromEnvironment', () => {
  it('builds a broker whose provider validates requests at once', () => {
    const broker = createBrokerFromEnvironment({
      logger,
      env: {
        TABLE_NAME: 'keyless',
        AWS_LAMBDA_FUNCTION_NAME: 'keyless-example-worker',
        AWS_REGION: 'us-east-1',
      },
    });
    expect(typeof broker.credentialsFor({ customerId: 'acme', accountId: '111122223333' })).toBe('function');
    expect(() => broker.credentialsFor({ customerId: 'acme', accountId: 'x' })).toThrow(/accountId/);
  });
});
