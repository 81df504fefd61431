/**
 * The one CloudWatch page for the on-call engineer (docs/architecture.md §11): onboardings started,
 * completed and failed (and failures by reason class), validation latency, revocations, credential
 * vends and STS errors by code, CloudFormation answers not delivered, connections still on access
 * keys, and the failed-event queues. Every metric is one the functions emit (shared/metrics.ts;
 * the synth test checks each against the code's addMetric calls), keyed by Powertools' `service`
 * dimension, the function's folder name.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DIMENSIONS, METRIC_NAMES, METRICS_NAMESPACE, SERVICE_DIMENSION } from '#shared/metrics.ts';
import { PROOF_FAILURE_CLASSES } from '#shared/onboarding/role-proof.ts';
import type { FunctionName } from '#shared/wiring/function-catalogue.ts';
import type { KeylessFunction } from './keyless-function.ts';

export interface OperationsDashboardProps {
  dashboardName: string;
  functions: Partial<Record<FunctionName, KeylessFunction>>;
}

const PERIOD = Duration.minutes(5);
const WIDTH = 12;
const HEIGHT = 6;

/** A metric a Keyless function emits: its name, the function (`service`) and any extra dimension. */
function keylessMetric(
  service: FunctionName,
  metricName: string,
  { statistic = cloudwatch.Stats.SUM, label, extra = {}, period = PERIOD } = {} as {
    statistic?: string;
    label?: string;
    extra?: Record<string, string>;
    period?: Duration;
  },
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [SERVICE_DIMENSION]: service, ...extra },
    statistic,
    period,
    label: label ?? `${metricName} (${service})`,
  });
}

/**
 * Every series of a metric whatever its `service` (any worker using the broker) and, with
 * `byDimension`, one series per value of that dimension (STS error codes are not known in advance).
 */
function searchAcrossServices(
  metricName: string,
  label: string,
  byDimension?: string,
): cloudwatch.MathExpression {
  const schema = [METRICS_NAMESPACE, SERVICE_DIMENSION, ...(byDimension ? [byDimension] : [])].join(',');
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${schema}} MetricName="${metricName}"', 'Sum', ${PERIOD.toSeconds()})`,
    label,
    period: PERIOD,
  });
}

export class OperationsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, { dashboardName, functions }: OperationsDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName,
      defaultInterval: Duration.days(1),
    });
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      options: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: WIDTH, height: HEIGHT, ...options });

    const queues = Object.entries(functions).flatMap(([name, fn]) =>
      fn?.deadLetterQueue
        ? [
            fn.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              period: PERIOD,
              statistic: cloudwatch.Stats.MAXIMUM,
              label: name,
            }),
          ]
        : [],
    );

    this.dashboard.addWidgets(
      graph('Onboardings: started, completed, failed', [
        keylessMetric('setup-api', METRIC_NAMES.setupCreated, { label: 'started (setups issued)' }),
        keylessMetric('role-validator', METRIC_NAMES.roleValidated, { label: 'completed (role proven)' }),
        keylessMetric('role-validator', METRIC_NAMES.roleValidationFailed, {
          label: 'failed (role rejected)',
        }),
        keylessMetric('registration-callback', 'RegistrationRefused', { label: 'refused at registration' }),
      ]),
      graph(
        'Onboarding failures by reason class',
        [...PROOF_FAILURE_CLASSES, 'other'].map((reasonClass) =>
          keylessMetric('role-validator', METRIC_NAMES.onboardingFailed, {
            label: reasonClass,
            extra: { [DIMENSIONS.reasonClass]: reasonClass },
          }),
        ),
        { stacked: true },
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Validation latency (ms, registration to verdict)',
        (['p50', 'p90', 'Maximum'] as const).map((statistic) =>
          keylessMetric('role-validator', METRIC_NAMES.validationLatency, { statistic, label: statistic }),
        ),
      ),
      graph('Revocations', [
        keylessMetric('revocation', METRIC_NAMES.accessRevoked, { label: 'stack deleted' }),
        keylessMetric('setup-api', METRIC_NAMES.accessRevoked, { label: 'by hand (API)' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Credential vends (every worker using the broker)', [
        searchAcrossServices(METRIC_NAMES.credentialsVended, 'vends'),
      ]),
      graph('STS errors by code (AssumeRole by the broker)', [
        searchAcrossServices(METRIC_NAMES.assumeRoleFailed, 'AssumeRole failed', DIMENSIONS.stsErrorCode),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'CloudFormation answers not delivered',
        (['registration-callback', 'role-validator', 'revocation', 'setup-api'] as const).map((service) =>
          keylessMetric(service, METRIC_NAMES.cloudFormationAnswerFailed, { label: service }),
        ),
      ),
      new cloudwatch.SingleValueWidget({
        title: 'Connections still on access keys (daily)',
        metrics: [
          keylessMetric('migration-reminder', METRIC_NAMES.legacyConnectionsRemaining, {
            statistic: cloudwatch.Stats.MAXIMUM,
            period: Duration.days(1),
            label: 'on access keys',
          }),
        ],
        width: WIDTH,
        height: HEIGHT,
        sparkline: true,
      }),
    );
    this.dashboard.addWidgets(
      graph('Failed events waiting for a redrive (DLQ depth)', queues, { width: 2 * WIDTH }),
    );
  }
}
