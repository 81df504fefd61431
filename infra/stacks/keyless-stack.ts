/**
 * The Keyless core, in the home region: the table, the bus and its rules, the registration topic of
 * the home region (other regions get an IngressStack), the published customer template, the setup API,
 * and one least-privilege function per folder under `functions/`.
 */

import {
  Arn,
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { customerRoleArnPattern, providerResourceNames } from '#shared/customer-template/names.ts';
import {
  buildCustomerTemplate,
  registrationTopicArns,
  resolveCustomerTemplateConfig,
  roleNamePrefix,
} from '#shared/customer-template/template.ts';
import { templateConfigOf } from '#shared/customer-template/version-history.ts';
import { unrecordedTemplateVersion } from '#shared/customer-template/versions.ts';
import { RULE_TARGET_RETRY_POLICY } from '#shared/events/delivery-policy.ts';
import { type EventPattern, RULES } from '#shared/events/rules.ts';
import { LEGACY_SECRET_PREFIX } from '#shared/legacy/register-legacy-connection.ts';
import { SETUP_API_ROUTES } from '#shared/onboarding/setup-api-routes.ts';
import { stackNamePrefixOf } from '#shared/onboarding/setups.ts';
import { permissionChecksOfTemplate } from '#shared/permissions/template-checks.ts';
import {
  keys,
  LEGACY_INDEX,
  STATUS_INDEX,
  TABLE_KEYS,
  TTL_ATTRIBUTE,
} from '#shared/store/table-definition.ts';
import {
  type EnvironmentName,
  FUNCTION_NAMES,
  FUNCTIONS,
  type FunctionName,
  type FunctionSpec,
} from '#shared/wiring/function-catalogue.ts';
import { KeylessFunction } from '../constructs/keyless-function.ts';
import { OperationsDashboard } from '../constructs/operations-dashboard.ts';
import { RegistrationTopic } from '../constructs/registration-topic.ts';
import type { ProviderIntegration } from './keyless-app.ts';
import { partitionOf } from './partition.ts';
import type { KeylessSettings } from './settings.ts';

export interface KeylessStackProps extends StackProps {
  settings: KeylessSettings;
  /** Where function folders live (default `functions/`); each catalogued function needs its `handler.ts`. */
  functionsRoot?: string;
  /** The provider's name and permissions (keyless.config.json); the built-in example without. */
  provider?: ProviderIntegration;
}

/** Where the customer templates are published in the template bucket: every version, and the current one as latest. */
export const TEMPLATE_KEY_PREFIX = 'templates/';
export const templateObjectKey = (version: number) => `v${version}.json`;
export const LATEST_TEMPLATE_OBJECT_KEY = 'latest.json';

/** The only events customer accounts may put on the bus, when forwarding is on. */
export const FORWARDED_STACK_EVENT = {
  source: 'aws.cloudformation',
  detailType: 'CloudFormation Stack Status Change',
} as const;

/**
 * Rule patterns come verbatim from shared/events/rules.ts. CDK renders a pattern's keys as given (only
 * `detailType` is renamed), so `detail-type` and `$or` reach CloudFormation unchanged.
 */
function cdkEventPattern(pattern: EventPattern): events.EventPattern {
  return pattern as unknown as events.EventPattern;
}

export class KeylessStack extends Stack {
  readonly table: dynamodb.Table;
  readonly bus: events.EventBus;
  readonly functions: Partial<Record<FunctionName, KeylessFunction>> = {};
  readonly templateUrl: string;
  private readonly settings: KeylessSettings;
  /** What customer role names start with: the only roles the provider's roles may assume. */
  private readonly customerRolePrefix: string;

  constructor(scope: Construct, id: string, props: KeylessStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.settings = settings;
    const names = providerResourceNames(settings.stage);
    const partition = partitionOf(this.region);
    const templateConfig = resolveCustomerTemplateConfig({
      providerAccountId: this.account,
      stage: settings.stage,
      partition,
      regions: [this.region, ...settings.ingressRegions],
      serviceTimeoutSeconds: settings.serviceTimeoutSeconds,
      ...(props.provider ? templateConfigOf(props.provider) : {}),
    });
    this.customerRolePrefix = roleNamePrefix(templateConfig);
    // The version the history recorded for this content, or version 1 when nothing recorded it.
    const { version: templateVersion, catalogue } =
      props.provider?.templateVersion ?? unrecordedTemplateVersion(templateConfig);

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: LEGACY_INDEX.indexName,
      partitionKey: { name: LEGACY_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEGACY_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...LEGACY_INDEX.projectedAttributes],
    });
    this.table.addGlobalSecondaryIndex({
      indexName: STATUS_INDEX.indexName,
      partitionKey: { name: STATUS_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STATUS_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: names.eventBusName });
    if (settings.acceptForwardedStackEvents) this.acceptForwardedStackEvents();

    const registrations = new RegistrationTopic(this, 'Registrations', {
      topicName: names.registrationTopicName,
      allowedPrincipalOrgId: settings.allowedPrincipalOrgId,
      allowedCustomerAccounts: settings.allowedCustomerAccounts,
    });

    const alarms = new sns.Topic(this, 'Alarms', { displayName: 'Keyless alarms', enforceSSL: true });
    Validations.of(alarms).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry no sensitive data, and CloudWatch cannot publish to a topic encrypted ' +
        'with the AWS-managed SNS key.',
    });

    this.templateUrl = this.publishTemplate(
      buildCustomerTemplate({ ...templateConfig, templateVersion }),
      templateVersion,
    );

    const environment: Record<EnvironmentName, string> = {
      TABLE_NAME: this.table.tableName,
      EVENT_BUS_NAME: this.bus.eventBusName,
      PROVIDER_ACCOUNT_ID: this.account,
      HOME_REGION: this.region,
      TEMPLATE_URL: this.templateUrl,
      REGISTRATION_TOPIC_ARNS: JSON.stringify(registrationTopicArns(templateConfig)),
      SETUP_TTL_DAYS: String(settings.setupTtlDays),
      VALIDATOR_RESERVED_CONCURRENCY: String(settings.validatorReservedConcurrency),
      LEGACY_GRACE_DAYS: String(settings.legacyGraceDays),
      REMINDER_INTERVAL_DAYS: String(settings.reminderIntervalDays),
      CREDENTIAL_REFRESH_BUFFER_SECONDS: '300',
      REVOCATION_STALENESS_SECONDS: '0',
      // Strict by default (invariant 5); 'feed' sees revocation within the interval at a fraction of the reads.
      REVOCATION_MODE: 'strict',
      REVOCATION_FEED_INTERVAL_SECONDS: '1',
      POWERTOOLS_SERVICE_NAME: 'keyless',
      REVALIDATION_FUNCTION_NAME: this.functionNameOf('role-validator'),
      CUSTOMER_STACK_NAME_PREFIX: stackNamePrefixOf(templateConfig.providerName),
      TEMPLATE_CATALOGUE: JSON.stringify(catalogue),
      PERMISSION_CHECKS: JSON.stringify(permissionChecksOfTemplate(templateConfig)),
    };

    // Every catalogued function, or the synth fails (KeylessFunction throws MissingHandlerError).
    for (const name of FUNCTION_NAMES) {
      this.functions[name] = this.addFunction(name, environment, alarms, props.functionsRoot);
    }
    this.grantRevalidationRequests();

    for (const rule of Object.values(RULES)) {
      const fn = this.functions[rule.target as FunctionName];
      if (!fn) continue;
      const target = new targets.LambdaFunction(fn.function, {
        ...(fn.deadLetterQueue ? { deadLetterQueue: fn.deadLetterQueue } : {}),
        // The local bus retries a refused hand-off as often (shared/events/delivery-policy.ts).
        retryAttempts: RULE_TARGET_RETRY_POLICY.retryAttempts,
        maxEventAge: Duration.seconds(RULE_TARGET_RETRY_POLICY.maxEventAgeSeconds),
        ...('input' in rule ? { event: events.RuleTargetInput.fromObject(rule.input) } : {}),
      });
      new events.Rule(this, `Rule-${rule.id}`, {
        description: rule.description,
        ...('pattern' in rule
          ? { eventBus: this.bus, eventPattern: cdkEventPattern(rule.pattern) }
          : { schedule: events.Schedule.expression(rule.schedule) }),
        targets: [target],
      });
    }

    const callback = this.functions['registration-callback'];
    if (callback) {
      const topicArns = registrationTopicArns(templateConfig);
      for (const [region, topicArn] of Object.entries(topicArns)) {
        const topic =
          region === this.region
            ? registrations.topic
            : sns.Topic.fromTopicArn(this, `Registrations-${region}`, topicArn);
        topic.addSubscription(new subscriptions.LambdaSubscription(callback.function));
      }
    }

    const setupApi = this.functions['setup-api'];
    if (setupApi) {
      const apiUrl = this.addSetupApi(setupApi);
      new CfnOutput(this, 'ApiUrl', {
        description: 'The setup API (SigV4, IAM authorisation).',
        value: apiUrl,
      });
    }

    new CfnOutput(this, 'TopicArn', {
      description: `The registration topic customer stacks in ${this.region} publish to.`,
      value: registrations.topic.topicArn,
    });
    new CfnOutput(this, 'RegistrationTopicArns', {
      description: 'Region → registration topic, for every region customers may launch in.',
      value: environment.REGISTRATION_TOPIC_ARNS,
    });
    new CfnOutput(this, 'TemplateUrl', {
      description: 'The customer template; quick-create launch URLs point here.',
      value: this.templateUrl,
    });
    new CfnOutput(this, 'EventBusName', {
      description: 'The Keyless event bus.',
      value: this.bus.eventBusName,
    });
    new CfnOutput(this, 'TableName', { description: 'The Keyless table.', value: this.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Subscribe your on-call to this topic: every Keyless alarm publishes here.',
      value: alarms.topicArn,
    });

    // The on-call engineer's one page (docs/architecture.md §11).
    const operations = new OperationsDashboard(this, 'Operations', {
      dashboardName: `keyless-${settings.stage}-operations`,
      functions: this.functions,
    });
    new CfnOutput(this, 'DashboardName', {
      description:
        'The CloudWatch dashboard of Keyless: onboardings, vends, revocations, migration, failed events.',
      value: operations.dashboard.dashboardName,
    });
  }

  private addFunction(
    name: FunctionName,
    environment: Record<EnvironmentName, string>,
    alarms: sns.ITopic,
    functionsRoot: string | undefined,
  ) {
    const spec = FUNCTIONS[name];
    const names = providerResourceNames(this.settings.stage);
    const roleName =
      'trustedRole' in spec
        ? spec.trustedRole === 'validator'
          ? names.validatorRoleName
          : names.brokerRoleName
        : undefined;
    const fn = new KeylessFunction(this, `Fn-${name}`, {
      name,
      ...(functionsRoot ? { functionsRoot } : {}),
      functionName: this.functionNameOf(name),
      ...(roleName ? { roleName } : {}),
      description: spec.description,
      environment: Object.fromEntries(spec.environment.map((key) => [key, environment[key]])),
      ...('bundled' in spec
        ? { bundledVariables: Object.fromEntries(spec.bundled.map((key) => [key, environment[key]])) }
        : {}),
      timeout: Duration.seconds(spec.timeoutSeconds),
      memorySize: spec.memoryMiB,
      logRetentionDays: this.settings.logRetentionDays,
      logLevel: this.settings.logLevel,
      asynchronous: spec.invocation === 'async',
      ...('reservedConcurrency' in spec
        ? {
            reservedConcurrentExecutions:
              typeof spec.reservedConcurrency === 'number'
                ? spec.reservedConcurrency
                : this.settings[spec.reservedConcurrency],
          }
        : {}),
      alarmTopic: alarms,
    });

    const tableResources = [
      this.table.tableArn,
      `${this.table.tableArn}/index/${LEGACY_INDEX.indexName}`,
      `${this.table.tableArn}/index/${STATUS_INDEX.indexName}`,
    ];
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'KeylessTable',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:Query',
          ...(spec.table === 'read-write'
            ? ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']
            : []),
        ],
        resources: tableResources,
      }),
    );
    if ('deletesItemsUnder' in spec && spec.deletesItemsUnder) {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'KeylessTableOwnItemsDelete',
          actions: ['dynamodb:DeleteItem'],
          resources: [this.table.tableArn],
          conditions: {
            'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...spec.deletesItemsUnder] },
          },
        }),
      );
    }
    if ('deletesUnprovenConnections' in spec && spec.deletesUnprovenConnections) {
      // Only through one conditional transaction: a REGISTERED connection proven outside its
      // organization, with its audit entry (docs/architecture.md §9.7).
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'KeylessTableUnprovenDelete',
          actions: ['dynamodb:DeleteItem'],
          resources: [this.table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [keys.customer('*')] },
          },
        }),
      );
    }
    if (spec.publishesEvents) {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'KeylessBus',
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
        }),
      );
    }
    if ('invokedByCustomerAccounts' in spec && spec.invokedByCustomerAccounts) {
      // The customer's Terraform invokes it, within the registration topic's allow-lists
      // (docs/architecture.md §9.6): listed accounts, or any account, narrowed to an Organization.
      const { allowedCustomerAccounts, allowedPrincipalOrgId } = this.settings;
      const principals =
        allowedCustomerAccounts.length > 0
          ? allowedCustomerAccounts.map((account) => new iam.AccountPrincipal(account))
          : [new iam.AnyPrincipal()];
      principals.forEach((principal, index) => {
        fn.function.addPermission(`CustomerAccountsInvoke${index}`, {
          principal,
          action: 'lambda:InvokeFunction',
          ...(allowedPrincipalOrgId ? { organizationId: allowedPrincipalOrgId } : {}),
        });
      });
    }
    if (spec.assumesCustomerRoles) {
      const pattern = customerRoleArnPattern(partitionOf(this.region), this.customerRolePrefix);
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'CustomerRoles',
          actions: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
          resources: [pattern],
        }),
      );
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${pattern}]`,
        reason:
          'Customer accounts are not known at deploy time; the role name prefix is pinned by the customer ' +
          "template's RoleName pattern, and each role's trust policy also demands this role and the External ID.",
      });
    }
    if (spec.readsLegacySecrets) {
      const secrets = Arn.format(
        {
          service: 'secretsmanager',
          resource: 'secret',
          resourceName: `${LEGACY_SECRET_PREFIX}/*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        this,
      );
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'LegacyKeys',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secrets],
        }),
      );
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${this.region}:${this.nagAccount()}:secret:${LEGACY_SECRET_PREFIX}/*]`,
        reason:
          'Legacy access-key secrets are created per connection under this name prefix, and Secrets Manager ' +
          'appends a random suffix to every secret ARN; the worker only reads them.',
      });
    }
    return fn;
  }

  /**
   * Customer accounts may put only CloudFormation's own stack status changes on the bus (EventBridge
   * refuses `aws.*` sources on a direct PutEvents, so these can only be their stacks' real events, forwarded
   * by a rule); never a `keyless` event. The revocation function still matches each one to a stored stack
   * of the same account before it revokes anything.
   */
  private acceptForwardedStackEvents(): void {
    const { allowedCustomerAccounts, allowedPrincipalOrgId } = this.settings;
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CustomerAccountsForwardStackStatusChanges',
        effect: iam.Effect.ALLOW,
        principals:
          allowedCustomerAccounts.length > 0
            ? allowedCustomerAccounts.map((account) => new iam.AccountPrincipal(account))
            : [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: {
          'ForAllValues:StringEquals': { 'events:source': [FORWARDED_STACK_EVENT.source] },
          StringEquals: {
            'events:detail-type': FORWARDED_STACK_EVENT.detailType,
            ...(allowedPrincipalOrgId ? { 'aws:PrincipalOrgID': allowedPrincipalOrgId } : {}),
          },
        },
      }),
    );
  }

  private functionNameOf(name: FunctionName): string {
    return `keyless-${this.settings.stage}-${name}`;
  }

  /** Brokers may ask the role validator, and nothing else, to re-validate a role that keeps denying them. */
  private grantRevalidationRequests(): void {
    const validator = this.functions['role-validator'];
    if (!validator) return;
    for (const name of FUNCTION_NAMES) {
      const spec: FunctionSpec = FUNCTIONS[name];
      const fn = this.functions[name];
      if (!fn || !spec.requestsRevalidation) continue;
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'RequestRevalidation',
          actions: ['lambda:InvokeFunction'],
          resources: [validator.function.functionArn],
        }),
      );
    }
  }

  private addSetupApi(setupApi: KeylessFunction): string {
    const api = new apigateway.HttpApi(this, 'SetupApi', {
      apiName: `keyless-${this.settings.stage}-setup`,
      description: 'Keyless setup API: onboarding offers and connections. Callers sign requests with SigV4.',
      createDefaultStage: false,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    const accessLogs = new logs.LogGroup(this, 'SetupApiAccessLogs', {
      retention: this.settings.logRetentionDays as logs.RetentionDays,
    });
    const stage = api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: { destination: new apigateway.LogGroupLogDestination(accessLogs) },
    });
    const integration = new HttpLambdaIntegration('SetupApiIntegration', setupApi.function);
    // Exactly the table's routes, each behind the default IAM authoriser: API Gateway answers any other
    // request itself, and the local API does the same from the same table.
    for (const route of SETUP_API_ROUTES) {
      api.addRoutes({ path: route.path, methods: [apigateway.HttpMethod[route.method]], integration });
    }
    return stage.url;
  }

  /** Publishes the customer template to a bucket CloudFormation can read from any customer account. */
  private publishTemplate(template: object, version: number): string {
    const accessLogs = new s3.Bucket(this, 'TemplateAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket holds the template bucket access logs; logging it again would loop.',
    });
    const bucket = new s3.Bucket(this, 'Templates', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      // Customers' CloudFormation reads the template anonymously-by-URL: only a bucket policy may be public.
      blockPublicAccess: new s3.BlockPublicAccess({
        blockPublicAcls: true,
        ignorePublicAcls: true,
        blockPublicPolicy: false,
        restrictPublicBuckets: false,
      }),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'templates/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S2',
      reason:
        "Customers' CloudFormation reads the template by URL from any account, so the bucket policy grants " +
        's3:GetObject on the templates/ prefix to everyone; ACLs stay blocked and the template holds no secret.',
    });
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CustomersReadTheTemplate',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(`${TEMPLATE_KEY_PREFIX}*`)],
      }),
    );
    const deployment = new s3deploy.BucketDeployment(this, 'PublishTemplate', {
      // Never pruned: every earlier version stays at its URL for the stacks launched from it.
      sources: [
        s3deploy.Source.jsonData(templateObjectKey(version), template),
        s3deploy.Source.jsonData(LATEST_TEMPLATE_OBJECT_KEY, template),
      ],
      destinationBucket: bucket,
      destinationKeyPrefix: TEMPLATE_KEY_PREFIX,
      prune: false,
      contentType: 'application/json',
      cacheControl: [s3deploy.CacheControl.noCache()],
    });
    void deployment;
    this.acknowledgeTemplatePublisher(bucket);
    return `https://${bucket.bucketRegionalDomainName}/${TEMPLATE_KEY_PREFIX}${templateObjectKey(version)}`;
  }

  /** The account as cdk-nag spells it in finding ids: the id, or the pseudo parameter when synthesised without one. */
  private nagAccount(): string {
    return Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account;
  }

  /**
   * CDK's BucketDeployment provider (created once per stack) copies the template from the CDK asset
   * bucket; its role is CDK's own. cdk-nag 3 acknowledges findings one by one, so each is named here.
   */
  private acknowledgeTemplatePublisher(bucket: s3.Bucket): void {
    const provider = this.node.children.find((child) =>
      child.node.id.startsWith('Custom::CDKBucketDeployment'),
    );
    if (!provider) return;
    const bucketArn = `<${this.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    const reason =
      "CDK's BucketDeployment provider, run only during deployments: CDK pins its runtime and grants it read " +
      'of the CDK asset bucket and read-write of the template bucket, nothing else.';
    const findings = [
      'AwsSolutions-L1',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map(
        (action) => `AwsSolutions-IAM5[Action::${action}]`,
      ),
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${this.nagAccount()}-${this.region}/*]`,
      `AwsSolutions-IAM5[Resource::${bucketArn}/*]`,
    ];
    for (const id of findings) Validations.of(provider).acknowledge({ id, reason });
  }
}
