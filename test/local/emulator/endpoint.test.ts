/**
 * The local endpoint, driven by the real AWS SDK clients through the standard AWS_ENDPOINT_URL
 * setting, with stand-in functions (test/local/emulator/fixtures/functions) so each protocol is
 * checked on its own.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { type LocalSystem, startLocalSystem } from '#local/emulator/system.ts';
import { DETAIL_TYPES, EVENT_SOURCE } from '#shared/events/catalog.ts';
import { startFixtureSystem } from './fixture-system.ts';
import { received } from './fixtures/recorder.ts';

const CUSTOMER = '111122223333';
const credentials = { accessKeyId: 'AKIAPROVIDERTEST0000', secretAccessKey: 'test' };
const region = 'us-east-1';
let system: LocalSystem;

beforeAll(async () => {
  system = await startFixtureSystem();
});

afterAll(async () => {
  await system?.stop();
});

beforeEach(() => {
  received().length = 0;
});

describe('the local endpoint', () => {
  it('is what AWS_ENDPOINT_URL points the SDK at', () => {
    expect(process.env.AWS_ENDPOINT_URL).toBe(system.endpoint);
    expect(system.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  describe('DynamoDB (JSON 1.0)', () => {
    it('proxies reads and writes to DynamoDB Local', async () => {
      // Prepare
      const dynamo = new DynamoDBClient({ region, credentials });
      const table = system.info().table;
      // Act
      await dynamo.send(
        new PutItemCommand({ TableName: table, Item: { PK: { S: 'A' }, SK: { S: 'B' }, n: { N: '1' } } }),
      );
      const item = await dynamo.send(
        new GetItemCommand({ TableName: table, Key: { PK: { S: 'A' }, SK: { S: 'B' } } }),
      );
      const tables = await dynamo.send(new ListTablesCommand({}));
      // Assess
      expect(item.Item?.n).toEqual({ N: '1' });
      expect(tables.TableNames).toContain(table);
    });
  });

  describe('EventBridge PutEvents (JSON 1.1)', () => {
    const events = new EventBridgeClient({ region, credentials });

    it('routes an event to the function its rule targets, in the EventBridge envelope', async () => {
      // Prepare
      const detail = { customerId: 'acme', accountId: CUSTOMER, version: 1, correlationId: 'c-1' };
      // Act
      const result = await events.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: system.info().eventBus,
              Source: EVENT_SOURCE,
              DetailType: DETAIL_TYPES.roleRegistered,
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      );
      await system.idle();
      // Assess
      expect(result.FailedEntryCount).toBe(0);
      expect(received()).toEqual([
        expect.objectContaining({
          name: 'role-validator',
          functionName: 'keyless-local-role-validator',
          event: expect.objectContaining({
            id: result.Entries?.[0]?.EventId,
            source: EVENT_SOURCE,
            'detail-type': DETAIL_TYPES.roleRegistered,
            account: system.info().providerAccountId,
            region,
            detail,
          }),
        }),
      ]);
    });

    it('accepts an event no rule matches and delivers it nowhere', async () => {
      const result = await events.send(
        new PutEventsCommand({
          Entries: [{ Source: EVENT_SOURCE, DetailType: DETAIL_TYPES.roleValidated, Detail: '{}' }],
        }),
      );
      await system.idle();
      expect(result.Entries?.[0]?.EventId).toBeDefined();
      expect(received()).toEqual([]);
    });

    it('refuses an aws.* source, as only AWS services may send those', async () => {
      const result = await events.send(
        new PutEventsCommand({
          Entries: [
            { Source: 'aws.cloudformation', DetailType: 'CloudFormation Stack Status Change', Detail: '{}' },
          ],
        }),
      );
      await system.idle();
      expect(result.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');
      expect(received()).toEqual([]);
    });

    it("routes a customer account's forwarded stack deletion to revocation", async () => {
      // Prepare
      const event = JSON.parse(
        readFileSync(
          new URL('../../../events/local/stack-status-change-delete-complete.json', import.meta.url),
          'utf8',
        ),
      );
      // Act
      const response = await fetch(`${system.endpoint}/_local/forwarded-events`, {
        method: 'POST',
        body: JSON.stringify(event),
      });
      await system.idle();
      // Assess
      expect(await response.json()).toEqual({ targets: ['revocation'] });
      expect(received()).toEqual([expect.objectContaining({ name: 'revocation', event })]);
    });

    it('refuses an entry for another bus or with malformed detail, entry by entry', async () => {
      const result = await events.send(
        new PutEventsCommand({
          Entries: [
            { EventBusName: 'other', Source: 's', DetailType: 'd', Detail: '{}' },
            { Source: 's', DetailType: 'd', Detail: 'not json' },
          ],
        }),
      );
      expect(result.FailedEntryCount).toBe(2);
      expect(result.Entries?.map((entry) => entry.ErrorCode)).toEqual([
        'NotFoundException',
        'MalformedDetail',
      ]);
    });
  });

  describe('SNS Publish (query protocol)', () => {
    const sns = new SNSClient({ region, credentials });

    it('delivers a message on the registrations topic to the callback as an SNS event record', async () => {
      // Act
      const { MessageId } = await sns.send(
        new PublishCommand({
          TopicArn: system.info().registrationTopicArn,
          Message: '{"RequestType":"Create"}',
          Subject: 'AWS CloudFormation custom resource request',
        }),
      );
      await system.idle();
      // Assess
      expect(received()).toEqual([
        expect.objectContaining({
          name: 'registration-callback',
          event: {
            Records: [
              expect.objectContaining({
                EventSource: 'aws:sns',
                Sns: expect.objectContaining({
                  MessageId,
                  TopicArn: system.info().registrationTopicArn,
                  Message: '{"RequestType":"Create"}',
                  Subject: 'AWS CloudFormation custom resource request',
                }),
              }),
            ],
          },
        }),
      ]);
    });

    it('answers NotFound for another topic', async () => {
      await expect(
        sns.send(
          new PublishCommand({ TopicArn: `arn:aws:sns:${region}:${CUSTOMER}:elsewhere`, Message: 'x' }),
        ),
      ).rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
    });
  });

  describe('STS (query protocol)', () => {
    const sts = new STSClient({ region, credentials });
    const roleArn = `arn:aws:iam::${CUSTOMER}:role/KeylessEndpointTest`;

    beforeAll(async () => {
      const trustPolicy = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${system.info().providerAccountId}:root` },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': 'external-id-1' } },
          },
        ],
      };
      const response = await fetch(`${system.endpoint}/_local/roles`, {
        method: 'PUT',
        body: JSON.stringify({ arn: roleArn, trustPolicy }),
      });
      expect(response.status).toBe(200);
    });

    it('assumes the role with the External ID, and the issued keys are the customer role to GetCallerIdentity', async () => {
      // Act
      const assumed = await sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'test', ExternalId: 'external-id-1' }),
      );
      const asCustomer = new STSClient({
        region,
        credentials: {
          accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
          secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
          sessionToken: assumed.Credentials?.SessionToken ?? '',
        },
      });
      const identity = await asCustomer.send(new GetCallerIdentityCommand({}));
      // Assess
      expect(assumed.Credentials?.Expiration).toBeInstanceOf(Date);
      expect(identity).toMatchObject({
        Account: CUSTOMER,
        Arn: `arn:aws:sts::${CUSTOMER}:assumed-role/KeylessEndpointTest/test`,
      });
    });

    it('answers AccessDenied exactly as STS does without the External ID', async () => {
      const error = await sts
        .send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'test' }))
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: expect.stringMatching(
          /^User: arn:aws:sts::\d{12}:assumed-role\/.+ is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role\/KeylessEndpointTest$/,
        ),
      });
    });

    it('answers the provider role for keys it did not issue', async () => {
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      expect(identity.Account).toBe(system.info().providerAccountId);
    });

    it('routes an unsigned query request by its Action', async () => {
      const response = await fetch(system.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
      });
      expect(await response.text()).toContain(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">',
      );
    });
  });

  describe('Secrets Manager (JSON 1.1)', () => {
    const secrets = new SecretsManagerClient({ region, credentials });

    it('stores a secret and gives it back', async () => {
      const name = `keyless/legacy/${randomUUID()}`;
      const created = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: '{"k":"v"}' }));
      const value = await secrets.send(new GetSecretValueCommand({ SecretId: name }));
      expect(created.ARN).toMatch(
        new RegExp(`^arn:aws:secretsmanager:${region}:\\d{12}:secret:${name}-\\w{6}$`),
      );
      expect(value).toMatchObject({
        ARN: created.ARN,
        SecretString: '{"k":"v"}',
        VersionStages: ['AWSCURRENT'],
      });
    });

    it('answers ResourceNotFoundException for an unknown secret', async () => {
      await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });

    it('lists secrets by case-sensitive name prefix, page by page, with their tags', async () => {
      // Prepare
      const prefix = `keyless/legacy/${randomUUID()}/`;
      for (const n of [1, 2, 3]) {
        await secrets.send(
          new CreateSecretCommand({
            Name: `${prefix}${n}`,
            SecretString: '{}',
            Tags: [{ Key: 'keyless:accountId', Value: CUSTOMER }],
          }),
        );
      }
      // Act
      const first = await secrets.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], MaxResults: 2 }),
      );
      const second = await secrets.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], NextToken: first.NextToken }),
      );
      const upperCase = await secrets.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix.toUpperCase()] }] }),
      );
      // Assess
      expect(first.SecretList?.map((x) => x.Name)).toEqual([`${prefix}1`, `${prefix}2`]);
      expect(second.SecretList?.map((x) => x.Name)).toEqual([`${prefix}3`]);
      expect(second.NextToken).toBeUndefined();
      expect(first.SecretList?.[0]?.Tags).toEqual([{ Key: 'keyless:accountId', Value: CUSTOMER }]);
      expect(upperCase.SecretList).toEqual([]);
    });

    it('schedules a deletion as Secrets Manager does: the secret refuses reads and leaves the listing', async () => {
      // Prepare
      const name = `keyless/legacy/${randomUUID()}/retired`;
      await secrets.send(new CreateSecretCommand({ Name: name, SecretString: '{}' }));
      // Act
      const deleted = await secrets.send(
        new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }),
      );
      // Assess
      expect(deleted.DeletionDate!.getTime() - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
      await expect(secrets.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toMatchObject({
        name: 'InvalidRequestException',
      });
      const listed = async (IncludePlannedDeletion: boolean) =>
        (
          await secrets.send(
            new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }], IncludePlannedDeletion }),
          )
        ).SecretList ?? [];
      expect(await listed(false)).toEqual([]);
      expect(await listed(true)).toHaveLength(1);
      await expect(
        secrets.send(new CreateSecretCommand({ Name: name, SecretString: '{}' })),
      ).rejects.toMatchObject({ name: 'InvalidRequestException' });
      await expect(
        secrets.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 3 })),
      ).rejects.toMatchObject({ name: 'InvalidParameterException' });
      await secrets.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
      expect(await listed(true)).toEqual([]);
    });
  });

  describe('Lambda Invoke', () => {
    const lambda = new LambdaClient({ region, credentials });

    it('invokes a function by its folder name and returns its result', async () => {
      const result = await lambda.send(
        new InvokeCommand({ FunctionName: 'echo', Payload: JSON.stringify({ hello: 'world' }) }),
      );
      expect(JSON.parse(Buffer.from(result.Payload ?? []).toString())).toEqual({
        handledBy: 'echo',
        event: { hello: 'world' },
      });
      expect(result.FunctionError).toBeUndefined();
    });

    it('reports a handler error as Lambda does (FunctionError Unhandled)', async () => {
      const result = await lambda.send(
        new InvokeCommand({ FunctionName: 'keyless-local-broken', Payload: '{}' }),
      );
      expect(result.FunctionError).toBe('Unhandled');
      expect(JSON.parse(Buffer.from(result.Payload ?? []).toString())).toMatchObject({
        errorType: 'TypeError',
        errorMessage: 'the stand-in always fails',
      });
    });

    it('answers ResourceNotFoundException for an unknown function', async () => {
      await expect(lambda.send(new InvokeCommand({ FunctionName: 'nope' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });

  describe('the setup API', () => {
    it('serves a route of the table at the root through an HTTP API (payload 2.0) event', async () => {
      const response = await fetch(`${system.endpoint}/setups?x=1`, {
        method: 'POST',
        body: '{"customerId":"acme"}',
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({
        method: 'POST',
        path: '/setups',
        body: '{"customerId":"acme"}',
      });
      expect(received()[0]?.event).toMatchObject({
        version: '2.0',
        routeKey: 'POST /setups',
        rawQueryString: 'x=1',
        queryStringParameters: { x: '1' },
        requestContext: {
          routeKey: 'POST /setups',
          http: { method: 'POST', path: '/setups', sourceIp: '127.0.0.1' },
          stage: '$default',
        },
      });
    });

    it('names the matched route and passes its path parameters decoded, as API Gateway does', async () => {
      const response = await fetch(
        `${system.endpoint}/customers/acme%2Dcorp/connections/${CUSTOMER}/revoke`,
        {
          method: 'POST',
        },
      );
      expect(response.status).toBe(201);
      expect(received()[0]?.event).toMatchObject({
        routeKey: 'POST /customers/{customerId}/connections/{accountId}/revoke',
        pathParameters: { customerId: 'acme-corp', accountId: CUSTOMER },
      });
    });

    it.each([
      ['an unknown path', 'GET', '/nothing-here'],
      ['a known path with another method', 'DELETE', '/setups'],
    ])('answers %s with API Gateway’s own 404, without calling the function', async (_, method, path) => {
      const response = await fetch(`${system.endpoint}${path}`, { method });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({ message: 'Not Found' });
      expect(received().filter((call) => call.name === 'setup-api')).toEqual([]);
    });
  });

  describe('the ResponseURL receiver', () => {
    it('keeps an answer PUT with an empty Content-Type, and refuses one with a Content-Type as S3 would', async () => {
      // Prepare
      const { id, url } = system.responses.newResponseUrl(
        `arn:aws:cloudformation:${region}:${CUSTOMER}:stack/s/1`,
        'R',
      );
      // Act
      const typed = await fetch(url, { method: 'PUT', body: '{"Status":"SUCCESS"}' });
      const untyped = await fetch(url, {
        method: 'PUT',
        body: '{"Status":"SUCCESS"}',
        headers: { 'content-type': '' },
      });
      // Assess
      expect(typed.status).toBe(403);
      expect(await typed.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
      expect(untyped.status).toBe(200);
      expect(await system.responses.waitFor(id, 0)).toMatchObject({ body: '{"Status":"SUCCESS"}' });
    });
  });

  it('refuses to start on a port in use, and says how to choose another', async () => {
    await expect(
      startLocalSystem({
        port: system.port,
        dataDir: null,
        dynamoDbEndpoint: inject('dynamoEndpoint'),
        schedules: false,
      }),
    ).rejects.toThrow(
      `Port ${system.port} is in use (another npm start?): choose another with KEYLESS_PORT or --port.`,
    );
  });

  it('GET /_local/info names the endpoint, functions, topic, bus, table and provider account', async () => {
    const info = (await (await fetch(`${system.endpoint}/_local/info`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({
      endpoint: system.endpoint,
      functions: [
        'broken',
        'echo',
        'migration-reminder',
        'registration-callback',
        'revocation',
        'role-validator',
        'setup-api',
        'slow',
      ],
      registrationTopicArn: `arn:aws:sns:${region}:999988887777:keyless-local-registrations`,
      eventBus: 'keyless-local',
      providerAccountId: '999988887777',
    });
  });
});
