/**
 * Counts a worker's credential vends (CredentialsVended, docs/architecture.md §11) around the
 * broker from the outside, so @keyless/broker needs no metrics library. Each call of a provider
 * that resolves is one vend, whether the session came from the broker's cache or from STS.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CredentialBroker } from '@keyless/broker';
import { METRIC_NAMES } from './metrics.ts';
import type { MetricSink } from './onboarding/dependencies.ts';

export function countingVends(broker: CredentialBroker, metrics: MetricSink): CredentialBroker {
  const counted = <T>(vend: Promise<T>): Promise<T> =>
    vend.then((credentials) => {
      metrics.addMetric(METRIC_NAMES.credentialsVended, MetricUnit.Count, 1);
      return credentials;
    });
  return {
    credentialsFor(request) {
      const provider = broker.credentialsFor(request);
      return (properties) => counted(provider(properties));
    },
    getCredentials: (request) => counted(broker.getCredentials(request)),
    clear: () => broker.clear(),
  };
}
