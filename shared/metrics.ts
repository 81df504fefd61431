/**
 * The Keyless metrics the dashboard reads (infra/constructs/operations-dashboard.ts), named once:
 * the code emits them with these names, so a rename changes both, and the dashboard's synth test
 * checks every widget against the `addMetric` calls the code really makes (docs/architecture.md §11).
 * Every metric carries Powertools' `service` dimension: the function's folder name.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricSink } from './onboarding/dependencies.ts';

/** POWERTOOLS_METRICS_NAMESPACE of every function, and the dashboard's namespace. */
export const METRICS_NAMESPACE = 'Keyless';

/** Powertools' default dimension: the service name each function's metrics are created with. */
export const SERVICE_DIMENSION = 'service';

/** The extra dimensions, each on its own metric (CloudWatch keys a metric by all its dimensions). */
export const DIMENSIONS = {
  /** Why an onboarding's proof failed (ProofFailureClass of shared/onboarding/role-proof.ts). */
  reasonClass: 'reasonClass',
  /** The STS error code of a failed AssumeRole (`AccessDenied`, `Throttling`, …). */
  stsErrorCode: 'stsErrorCode',
} as const;

export const METRIC_NAMES = {
  /** POST /setups issued an offer: an onboarding started. */
  setupCreated: 'SetupCreated',
  /** The validator's verdicts on a registration. */
  roleValidated: 'RoleValidated',
  roleValidationFailed: 'RoleValidationFailed',
  /** One failed proof, by `reasonClass`. */
  onboardingFailed: 'OnboardingFailed',
  /** From the validator's start on a registration to its verdict, in milliseconds. */
  validationLatency: 'ValidationLatency',
  accessRevoked: 'AccessRevoked',
  /** A CloudFormation answer that could not be delivered to its ResponseURL. */
  cloudFormationAnswerFailed: 'CloudFormationAnswerFailed',
  /** The broker vended credentials (a cached session or a fresh one). */
  credentialsVended: 'CredentialsVended',
  /** An AssumeRole the broker made failed, by `stsErrorCode`. */
  assumeRoleFailed: 'AssumeRoleFailed',
  /** Connections still on access keys, counted once per completed reminder run. */
  legacyConnectionsRemaining: 'LegacyConnectionsRemaining',
} as const;

/**
 * A count with one extra dimension beside `service`, published at once through Powertools'
 * singleMetric so the dimension stays on this metric only. A sink without singleMetric (a test's
 * stand-in) gets the plain count.
 */
export function countWithDimension(
  metrics: MetricSink &
    Partial<{ singleMetric(): MetricSink & { addDimension(name: string, value: string): void } }>,
  name: string,
  dimension: string,
  value: string,
): void {
  if (!metrics.singleMetric) {
    metrics.addMetric(name, MetricUnit.Count, 1);
    return;
  }
  const single = metrics.singleMetric();
  single.addDimension(dimension, value);
  single.addMetric(name, MetricUnit.Count, 1);
}
