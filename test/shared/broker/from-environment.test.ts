import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { createBrokerFromEnvironment } from '#shared/broker/from-environment.ts';
import { ConfigurationError } from '#shared/errors.ts';

const logger = new Logger({ serviceName: 'env-test', logLevel: 'SILENT' });

describe('createBrokerFromEnvironment', () => {
  it('fails at cold start naming every invalid variable', () => {
    const create = () => createBrokerFromEnvironment({ logger, env: { REVOCATION_STALENESS_SECONDS: '-1' } });
    expect(create).toThrow(ConfigurationError);
    expect(create).toThrow(/TABLE_NAME is required.*REVOCATION_STALENESS_SECONDS must be 0 or more/);
  });

  it('builds a broker whose provider validates requests at once', () => {
    const broker = createBrokerFromEnvironment({
      logger,
      env: { TABLE_NAME: 'keyless', AWS_LAMBDA_FUNCTION_NAME: 'keyless-example-worker' },
    });
    expect(typeof broker.credentialsFor({ customerId: 'acme', accountId: '111122223333' })).toBe('function');
    expect(() => broker.credentialsFor({ customerId: 'acme', accountId: 'x' })).toThrow(/accountId/);
  });
});
