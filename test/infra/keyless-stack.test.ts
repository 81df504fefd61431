import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FORWARDED_STACK_EVENT,
  LATEST_TEMPLATE_OBJECT_KEY,
  TEMPLATE_KEY_PREFIX,
  templateObjectKey,
} from '#infra/stacks/keyless-stack.ts';
import { buildCustomerTemplate } from '#shared/customer-template/template.ts';
import { EVENT_SOURCE } from '#shared/events/catalog.ts';
import { ASYNC_INVOCATION_RETRY_POLICY, RULE_TARGET_RETRY_POLICY } from '#shared/events/delivery-policy.ts';
import { RULES } from '#shared/events/rules.ts';
import { routeKeyOf } from '#shared/http/router.ts';
import { SETUP_API_ROUTES } from '#shared/onboarding/setup-api-routes.ts';
import { createTableInput, LEGACY_INDEX, TTL_ATTRIBUTE } from '#shared/store/table-definition.ts';
import { FUNCTION_NAMES, FUNCTIONS } from '#shared/wiring/function-catalogue.ts';
import { ACCOUNT, buildTestApp } from './support.ts';

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};

const HOME = 'eu-west-1';
const INGRESS = 'us-east-1';
const POWERTOOLS = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_NAMESPACE',
  'NODE_OPTIONS',
];

let core: Template;
let ingress: Template;
let functions: Record<string, Resource>;

const functionNamed = (name: string) => {
  const found = Object.entries(functions).find(
    ([, fn]) => fn.Properties.FunctionName === `keyless-test-${name}`,
  );
  if (!found) throw new Error(`no function ${name}`);
  return { logicalId: found[0], ...found[1] };
};
const roleOf = (name: string) =>
  (functionNamed(name).Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
/** Every statement of the policies attached to a role. */
const statementsOf = (template: Template, roleLogicalId: string) =>
  Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
    .filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId),
    )
    .flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );

beforeAll(() => {
  const app = buildTestApp({ context: { ingressRegions: [INGRESS] } });
  core = app.template();
  ingress = Template.fromStack(app.ingress[0]!);
  functions = core.findResources('AWS::Lambda::Function') as Record<string, Resource>;
});

describe('the Keyless stack', () => {
  describe('functions', () => {
    it('has one function per catalogue entry (besides the template publisher)', () => {
      for (const name of FUNCTION_NAMES) expect(functionNamed(name)).toBeDefined();
    });

    it.each(FUNCTION_NAMES)('runs %s on Node.js 22, arm64, from the bundle’s index.handler', (name) => {
      expect(functionNamed(name).Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: FUNCTIONS[name].memoryMiB,
        Timeout: FUNCTIONS[name].timeoutSeconds,
      });
    });

    it.each(FUNCTION_NAMES)('gives %s exactly its variables and the Powertools settings', (name) => {
      const { Variables } = functionNamed(name).Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      expect(Object.keys(Variables).sort()).toEqual([...FUNCTIONS[name].environment, ...POWERTOOLS].sort());
      expect(Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: name,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_NAMESPACE: 'Keyless',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('tells the setup API every region’s topic and the published template', () => {
      const { Variables } = functionNamed('setup-api').Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      expect(JSON.parse(Variables.REGISTRATION_TOPIC_ARNS as string)).toEqual({
        [HOME]: `arn:aws:sns:${HOME}:${ACCOUNT}:keyless-test-registrations`,
        [INGRESS]: `arn:aws:sns:${INGRESS}:${ACCOUNT}:keyless-test-registrations`,
      });
      expect(JSON.stringify(Variables.TEMPLATE_URL)).toContain(`/${TEMPLATE_KEY_PREFIX}v1.json`);
      expect(Variables.PROVIDER_ACCOUNT_ID).toBe(ACCOUNT);
      expect(Variables.HOME_REGION).toBe(HOME);
    });

    it('caps the registration callback with reserved concurrency', () => {
      expect(functionNamed('registration-callback').Properties.ReservedConcurrentExecutions).toBe(10);
    });

    it('runs one migration reminder at a time, so a retried schedule never reads the index twice over', () => {
      expect(functionNamed('migration-reminder').Properties.ReservedConcurrentExecutions).toBe(1);
    });

    it('caps the role validator with reserved concurrency, so unproven work cannot spend the account', () => {
      expect(functionNamed('role-validator').Properties.ReservedConcurrentExecutions).toBe(50);
    });

    it('leaves the other functions without reserved concurrency', () => {
      for (const name of ['setup-api', 'revocation', 'example-worker']) {
        expect(functionNamed(name).Properties.ReservedConcurrentExecutions).toBeUndefined();
      }
    });

    it('names the validator and broker roles as the customer template trusts them', () => {
      const roles = core.findResources('AWS::IAM::Role') as Record<string, Resource>;
      expect(roles[roleOf('role-validator')]?.Properties.RoleName).toBe('keyless-test-role-validator');
      expect(roles[roleOf('example-worker')]?.Properties.RoleName).toBe('keyless-test-credential-broker');
    });

    it('retries failed asynchronous invocations as the shared delivery policy says, then queues them, with alarms', () => {
      const asynchronous = FUNCTION_NAMES.filter((name) => FUNCTIONS[name].invocation === 'async');
      const configs = Object.values(
        core.findResources('AWS::Lambda::EventInvokeConfig') as Record<string, Resource>,
      );
      expect(configs).toHaveLength(asynchronous.length);
      for (const config of configs) {
        expect(config.Properties).toMatchObject({
          MaximumRetryAttempts: ASYNC_INVOCATION_RETRY_POLICY.retryAttempts,
          MaximumEventAgeInSeconds: ASYNC_INVOCATION_RETRY_POLICY.maxEventAgeSeconds,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } },
        });
      }
      core.resourceCountIs('AWS::SQS::Queue', asynchronous.length);
      core.resourceCountIs('AWS::CloudWatch::Alarm', FUNCTION_NAMES.length + asynchronous.length);
      core.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
        Threshold: 1,
      });
    });
  });

  describe('least privilege', () => {
    it.each([
      ['role-validator', true],
      ['example-worker', true],
      ['registration-callback', false],
      ['setup-api', false],
      ['revocation', false],
      ['migration-reminder', false],
    ] as const)(
      'lets %s assume customer roles: %s, and only by the customer role name pattern',
      (name, assumes) => {
        const sts = statementsOf(core, roleOf(name)).filter((s) => JSON.stringify(s.Action).includes('sts:'));
        if (!assumes) return expect(sts).toEqual([]);
        expect(sts).toEqual([
          expect.objectContaining({
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
            Resource: 'arn:aws:iam::*:role/Keyless*',
          }),
        ]);
      },
    );

    it('gives table writes only to the functions that write, and on the table and legacy index only', () => {
      for (const name of FUNCTION_NAMES) {
        const table = statementsOf(core, roleOf(name)).find((s) => s.Sid === 'KeylessTable')!;
        const actions = table.Action as string[];
        expect(actions.includes('dynamodb:PutItem')).toBe(FUNCTIONS[name].table === 'read-write');
        expect(actions.filter((a) => /Scan|Batch/.test(a))).toEqual([]);
        expect(actions).not.toContain('dynamodb:DeleteItem');
        expect(JSON.stringify(table.Resource)).toContain(`/index/${LEGACY_INDEX.indexName}`);
      }
    });

    it.each([
      ['migration-reminder', ['JOB#migration-reminder']],
      ['setup-api', ['IDEMPOTENCY#setups']],
    ] as const)('lets %s delete only the items under its own partition %j', (name, partitions) => {
      const deletes = statementsOf(core, roleOf(name)).filter((s) =>
        JSON.stringify(s.Action).includes('DeleteItem'),
      );
      expect(deletes).toEqual([
        expect.objectContaining({
          Action: 'dynamodb:DeleteItem',
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': partitions } },
        }),
      ]);
    });

    it('lets the validator delete only customers’ items, for the registrations it proves outside their organization', () => {
      const deletes = statementsOf(core, roleOf('role-validator')).filter((s) =>
        JSON.stringify(s.Action).includes('DeleteItem'),
      );
      expect(deletes).toEqual([
        expect.objectContaining({
          Action: 'dynamodb:DeleteItem',
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CUSTOMER#*'] } },
        }),
      ]);
    });

    it('lets no other function delete anything', () => {
      const deleters = ['migration-reminder', 'setup-api', 'role-validator'];
      for (const name of FUNCTION_NAMES.filter((n) => !deleters.includes(n))) {
        expect(JSON.stringify(statementsOf(core, roleOf(name)))).not.toContain('DeleteItem');
      }
    });

    it('lets only the broker read the legacy key secrets, under their name prefix', () => {
      for (const name of FUNCTION_NAMES) {
        const secrets = statementsOf(core, roleOf(name)).filter((s) =>
          JSON.stringify(s.Action).includes('secretsmanager'),
        );
        expect(secrets.length > 0).toBe(name === 'example-worker');
      }
      const [statement] = statementsOf(core, roleOf('example-worker')).filter((s) => s.Sid === 'LegacyKeys');
      expect(statement?.Action).toBe('secretsmanager:GetSecretValue');
      expect(JSON.stringify(statement?.Resource)).toContain(`:${HOME}:${ACCOUNT}:secret:keyless/legacy/*`);
    });

    it('lets only the broker invoke a function, and only the role validator, named in its environment', () => {
      const validator = functionNamed('role-validator');
      for (const name of FUNCTION_NAMES) {
        const invokes = statementsOf(core, roleOf(name)).filter((s) =>
          JSON.stringify(s.Action).includes('lambda:'),
        );
        if (name !== 'example-worker') {
          expect(invokes).toEqual([]);
          continue;
        }
        expect(invokes).toEqual([
          expect.objectContaining({
            Action: 'lambda:InvokeFunction',
            Resource: { 'Fn::GetAtt': [validator.logicalId, 'Arn'] },
          }),
        ]);
      }
      const { Variables } = functionNamed('example-worker').Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      expect(Variables.REVALIDATION_FUNCTION_NAME).toBe(validator.Properties.FunctionName);
    });

    it('has no IAM statement allowing every action or every resource, in any stack', () => {
      const X_RAY_WRITES = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
      // Deny statements (enforceSSL's "Deny s3:* unless TLS") may be broad: only what is allowed counts.
      for (const template of [core, ingress]) {
        const documents = [
          ...Object.values(template.findResources('AWS::IAM::Policy')).map(
            (p) => p.Properties.PolicyDocument,
          ),
          ...Object.values(template.findResources('AWS::IAM::Role')).map(
            (r) => r.Properties.AssumeRolePolicyDocument,
          ),
          ...Object.values(template.findResources('AWS::SNS::TopicPolicy')).map(
            (p) => p.Properties.PolicyDocument,
          ),
          ...Object.values(template.findResources('AWS::S3::BucketPolicy')).map(
            (p) => p.Properties.PolicyDocument,
          ),
          ...Object.values(template.findResources('AWS::SQS::QueuePolicy')).map(
            (p) => p.Properties.PolicyDocument,
          ),
        ] as { Statement: { Effect: string; Action: unknown; Resource?: unknown }[] }[];
        expect(documents.length).toBeGreaterThan(0);
        for (const statement of documents.flatMap((d) => d.Statement).filter((s) => s.Effect === 'Allow')) {
          for (const action of [statement.Action].flat()) expect(action).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
          // Active tracing's X-Ray writes support no resource-level permissions: the one exception.
          const xrayWrites = [statement.Action].flat().every((a) => X_RAY_WRITES.includes(String(a)));
          if (!xrayWrites) expect([statement.Resource].flat()).not.toContain('*');
        }
      }
    });
  });

  describe('table', () => {
    it('is on-demand, recoverable to a point in time, encrypted, expires setups and survives stack deletion', () => {
      const [table] = Object.values(core.findResources('AWS::DynamoDB::Table') as Record<string, Resource>);
      expect(table).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
          DeletionProtectionEnabled: true,
        },
      });
    });

    it('has the keys and sparse index of the shared table definition', () => {
      const definition = createTableInput('keyless');
      core.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: definition.KeySchema,
        AttributeDefinitions: Match.arrayWith(definition.AttributeDefinitions!),
        GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes,
      });
    });
  });

  describe('events', () => {
    it('routes each rule pattern of shared/events/rules.ts, unchanged, from the Keyless bus to its function', () => {
      for (const rule of Object.values(RULES).filter((r) => 'pattern' in r)) {
        core.hasResourceProperties('AWS::Events::Rule', {
          EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
          EventPattern: rule.pattern,
          Targets: [
            Match.objectLike({
              Arn: { 'Fn::GetAtt': [functionNamed(rule.target).logicalId, 'Arn'] },
              DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
            }),
          ],
        });
      }
    });

    it('retries every rule target as the shared delivery policy says, the policy the local bus follows', () => {
      const rules = Object.values(core.findResources('AWS::Events::Rule') as Record<string, Resource>);
      const targets = rules.flatMap((rule) => rule.Properties.Targets as Record<string, unknown>[]);
      expect(targets).toHaveLength(Object.keys(RULES).length);
      for (const target of targets) {
        expect(target.RetryPolicy).toEqual({
          MaximumRetryAttempts: RULE_TARGET_RETRY_POLICY.retryAttempts,
          MaximumEventAgeInSeconds: RULE_TARGET_RETRY_POLICY.maxEventAgeSeconds,
        });
      }
    });

    it('runs the daily schedules of shared/events/rules.ts with their input', () => {
      core.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: RULES.migrationReminderSchedule.schedule,
        Targets: [
          Match.objectLike({ Arn: { 'Fn::GetAtt': [functionNamed('migration-reminder').logicalId, 'Arn'] } }),
        ],
      });
      core.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: RULES.revalidationSchedule.schedule,
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [functionNamed('role-validator').logicalId, 'Arn'] },
            Input: JSON.stringify(RULES.revalidationSchedule.input),
          }),
        ],
      });
    });

    describe('forwarded stack status changes', () => {
      const busPolicies = (context: Record<string, unknown>) =>
        Object.values(
          buildTestApp({ context }).template().findResources('AWS::Events::EventBusPolicy') as Record<
            string,
            Resource
          >,
        ).map((policy) => policy.Properties.Statement as Record<string, unknown>);

      it('are refused by default: the bus has no resource policy', () => {
        core.resourceCountIs('AWS::Events::EventBusPolicy', 0);
      });

      it("admit only CloudFormation's stack status changes from customer accounts, never a Keyless event", () => {
        const [statement, ...others] = busPolicies({ acceptForwardedStackEvents: 'true' });
        expect(others).toEqual([]);
        expect(statement).toMatchObject({
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Bus/), 'Arn'] },
          Condition: {
            'ForAllValues:StringEquals': { 'events:source': ['aws.cloudformation'] },
            StringEquals: { 'events:detail-type': 'CloudFormation Stack Status Change' },
          },
        });
        expect(JSON.stringify(statement)).not.toContain(EVENT_SOURCE);
      });

      it('are what the revocation rule listens for', () => {
        const branches: readonly { source: readonly string[]; 'detail-type': readonly string[] }[] =
          RULES.stackDeleted.pattern.$or;
        const forwarded = branches.find((branch) => branch.source.includes(FORWARDED_STACK_EVENT.source));
        expect(forwarded?.source).toEqual([FORWARDED_STACK_EVENT.source]);
        expect(forwarded?.['detail-type']).toEqual([FORWARDED_STACK_EVENT.detailType]);
      });

      it('come only from the configured Organization or accounts', () => {
        const [fromOrg] = busPolicies({
          acceptForwardedStackEvents: true,
          allowedPrincipalOrgId: 'o-abcdefghij',
        });
        expect(fromOrg).toMatchObject({
          Principal: { AWS: '*' },
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } },
        });
        const [fromAccounts] = busPolicies({
          acceptForwardedStackEvents: true,
          allowedCustomerAccounts: ['222222222222', '333333333333'],
        });
        expect(JSON.stringify(fromAccounts?.Principal)).toContain('222222222222');
        expect(JSON.stringify(fromAccounts?.Principal)).toContain('333333333333');
        expect(JSON.stringify(fromAccounts?.Principal)).not.toContain('"*"');
      });
    });

    it('names the bus after the stage', () => {
      core.hasResourceProperties('AWS::Events::EventBus', { Name: 'keyless-test' });
    });
  });

  describe('registration topics', () => {
    it('exist in the home and every ingress region under the name the customer template uses', () => {
      core.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'keyless-test-registrations' });
      ingress.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'keyless-test-registrations' });
    });

    it('let any customer account publish, over TLS only', () => {
      for (const template of [core, ingress]) {
        template.hasResourceProperties('AWS::SNS::TopicPolicy', {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
              Match.objectLike({
                Sid: 'CustomerStacksPublishRegistrations',
                Action: 'sns:Publish',
                Principal: { AWS: '*' },
              }),
            ]),
          },
        });
      }
    });

    it('are subscribed by the home callback, cross-region for ingress topics', () => {
      const callback = { 'Fn::GetAtt': [functionNamed('registration-callback').logicalId, 'Arn'] };
      core.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'lambda', Endpoint: callback }, 2);
      core.hasResourceProperties('AWS::SNS::Subscription', {
        Endpoint: callback,
        Region: INGRESS,
        TopicArn: `arn:aws:sns:${INGRESS}:${ACCOUNT}:keyless-test-registrations`,
      });
    });

    it('admit only an Organization, or only listed accounts, when configured', () => {
      const org = buildTestApp({ context: { allowedPrincipalOrgId: 'o-abcdef1234' } }).template();
      org.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'CustomerStacksPublishRegistrations',
              Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdef1234' } },
            }),
          ]),
        },
      });
      const listed = buildTestApp({ context: { allowedCustomerAccounts: '222222222222' } }).template();
      listed.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'CustomerStacksPublishRegistrations',
              Principal: {
                AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:root']] },
              },
            }),
          ]),
        },
      });
    });
  });

  describe('setup API', () => {
    it('serves exactly the routes of the route table, each behind IAM authorisation, to the setup-api function', () => {
      const routes = Object.values(
        core.findResources('AWS::ApiGatewayV2::Route') as Record<string, Resource>,
      );
      expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(
        SETUP_API_ROUTES.map(routeKeyOf).sort(),
      );
      const integrations = Object.entries(core.findResources('AWS::ApiGatewayV2::Integration'));
      expect(integrations).toHaveLength(1);
      const [integrationId, integration] = integrations[0] as [string, Resource];
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': [functionNamed('setup-api').logicalId, 'Arn'] },
      });
      for (const route of routes) {
        expect(route.Properties).toMatchObject({
          AuthorizationType: 'AWS_IAM',
          Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
        });
      }
    });

    it('logs access and throttles', () => {
      core.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AccessLogSettings: { DestinationArn: Match.anyValue() },
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      });
    });
  });

  describe('customer template', () => {
    it('is readable by anyone under templates/ only, and the bucket refuses ACLs', () => {
      core.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'CustomersReadTheTemplate',
              Action: 's3:GetObject',
              Principal: { AWS: '*' },
              Resource: {
                'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, `/${TEMPLATE_KEY_PREFIX}*`]],
              },
            }),
          ]),
        },
      });
      core.hasResourceProperties('AWS::S3::Bucket', {
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true },
      });
    });

    it.each([templateObjectKey(1), LATEST_TEMPLATE_OBJECT_KEY])(
      'publishes the generated template for this account, stage and regions as %s',
      (key) => {
        const assembly = buildTestApp({ context: { ingressRegions: [INGRESS] } }).app.synth();
        const published = readdirSync(assembly.directory)
          .map((entry) => path.join(assembly.directory, entry, key))
          .find((file) => existsSync(file));
        expect(JSON.parse(readFileSync(published!, 'utf8'))).toEqual(
          buildCustomerTemplate({ providerAccountId: ACCOUNT, stage: 'test', regions: [HOME, INGRESS] }),
        );
      },
    );

    it('is published by the stack', () => {
      core.hasResourceProperties('Custom::CDKBucketDeployment', {
        DestinationBucketKeyPrefix: TEMPLATE_KEY_PREFIX,
        Prune: false,
      });
    });
  });

  it('outputs the topic ARN, API URL, template URL and bus name', () => {
    for (const output of [
      'TopicArn',
      'ApiUrl',
      'TemplateUrl',
      'EventBusName',
      'RegistrationTopicArns',
      'AlarmTopicArn',
    ]) {
      core.hasOutput(output, {});
    }
    ingress.hasOutput('TopicArn', {});
  });
});
