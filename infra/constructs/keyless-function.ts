/**
 * One Keyless Lambda from its folder: `functions/<name>/handler.ts`, exporting `handler`. Fixes what
 * every function shares (Node.js 22 on arm64, a minified ESM bundle with source maps and the AWS SDK
 * inside, Powertools settings, its own log group) and gives it its own role with nothing attached but
 * writing to that log group. Asynchronous functions also get retries, an on-failure queue, and alarms.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ASYNC_INVOCATION_RETRY_POLICY } from '#shared/events/delivery-policy.ts';
import { METRICS_NAMESPACE } from '#shared/metrics.ts';
import { BUNDLED_VARIABLES_GLOBAL } from '#shared/wiring/bundled-variables.ts';
import { BUNDLE_ALIASES, BUNDLE_CONDITIONS, BUNDLE_MAIN_FIELDS } from './bundle-options.ts';

export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const FUNCTIONS_ROOT = path.join(REPOSITORY_ROOT, 'functions');

/** The handler file of a function folder; the bundle exports `handler` from `index.mjs`. */
export function handlerEntry(name: string, functionsRoot = FUNCTIONS_ROOT): string {
  return path.join(functionsRoot, name, 'handler.ts');
}

/** Lets CommonJS dependencies call `require` inside the ESM bundle. */
const ESM_REQUIRE_SHIM =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** A function is in the catalogue (shared/wiring/function-catalogue.ts) but its handler file is not there. */
export class MissingHandlerError extends Error {
  override readonly name = 'MissingHandlerError';
  constructor(functionName: string, entry: string) {
    super(
      `Function "${functionName}" is in the function catalogue but its handler file ` +
        `${path.relative(REPOSITORY_ROOT, entry)} is missing: add it, or remove "${functionName}" ` +
        'from shared/wiring/function-catalogue.ts.',
    );
  }
}

export interface KeylessFunctionProps {
  /** The folder under `functions/`. */
  name: string;
  /** Where function folders live; tests may point it elsewhere. */
  functionsRoot?: string;
  /** Physical function name, and role name unless `roleName` is given. */
  functionName: string;
  roleName?: string;
  description: string;
  environment: Record<string, string>;
  /** Variables compiled into the bundle instead of the environment (shared/wiring/bundled-variables.ts). */
  bundledVariables?: Record<string, string>;
  timeout: Duration;
  memorySize: number;
  logRetentionDays: number;
  logLevel: string;
  asynchronous: boolean;
  reservedConcurrentExecutions?: number;
  alarmTopic: sns.ITopic;
}

export class KeylessFunction extends Construct {
  static exists(name: string, functionsRoot = FUNCTIONS_ROOT): boolean {
    return existsSync(handlerEntry(name, functionsRoot));
  }

  readonly function: NodejsFunction;
  readonly role: iam.Role;
  /** Failed asynchronous invocations, after Lambda's retries; also the EventBridge targets' DLQ. */
  readonly deadLetterQueue?: sqs.Queue;

  constructor(scope: Construct, id: string, props: KeylessFunctionProps) {
    super(scope, id);
    const entry = handlerEntry(props.name, props.functionsRoot);
    // Fail the synth: a catalogued function left out of the stack would deploy as if it did not exist.
    if (!existsSync(entry)) throw new MissingHandlerError(props.name, entry);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName ?? props.functionName,
      description: `Keyless ${props.name}: only what this function uses.`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grantWrite(this.role);

    if (props.asynchronous) {
      this.deadLetterQueue = new sqs.Queue(this, 'FailedInvocations', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(this.deadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          "This queue is a dead-letter queue: the function's on-failure destination and its EventBridge " +
          "targets' DLQ (cdk-nag only recognises DLQs named in another queue's redrive policy).",
      });
    }

    this.function = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry,
      handler: 'handler',
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: path.join(REPOSITORY_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup,
      // X-Ray active tracing; the function's tracer (shared/xray/) adds its subsegments (docs/architecture.md §11).
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      ...(this.deadLetterQueue
        ? {
            retryAttempts: ASYNC_INVOCATION_RETRY_POLICY.retryAttempts,
            maxEventAge: Duration.seconds(ASYNC_INVOCATION_RETRY_POLICY.maxEventAgeSeconds),
            onFailure: new destinations.SqsDestination(this.deadLetterQueue),
          }
        : {}),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        mainFields: [...BUNDLE_MAIN_FIELDS],
        esbuildArgs: {
          '--conditions': BUNDLE_CONDITIONS.join(','),
          ...Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
        },
        banner: ESM_REQUIRE_SHIM,
        ...(props.bundledVariables
          ? { define: { [BUNDLED_VARIABLES_GLOBAL]: JSON.stringify(props.bundledVariables) } }
          : {}),
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords, which support no ' +
        'resource-level permissions; every other statement of this role names its resources.',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 on purpose: the code is built, typed and tested on Node 22 (the node@22 devDependency); ' +
        'a runtime upgrade is a tested change, not a drift.',
    });

    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }).addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    };
    alarm(
      'ErrorsAlarm',
      this.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      `Keyless ${props.name} failed at least once in 5 minutes: read its logs.`,
    );
    if (this.deadLetterQueue) {
      alarm(
        'FailedInvocationsAlarm',
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        `Keyless ${props.name} gave up on an event: it waits in the failed-invocations queue for a redrive.`,
      );
    }
  }
}
