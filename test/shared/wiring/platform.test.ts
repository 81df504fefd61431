/**
 * The Lambda platform (shared/wiring/platform.ts): built from the clients a function's entry passes,
 * each captured by the X-Ray tracer once, and nothing it was not given.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { XRAY_MIDDLEWARE_NAME as XRAY_MIDDLEWARE } from '#shared/xray/tracer.ts';

const xrayMiddlewareOf = (client: { middlewareStack: { identify(): string[] } }) =>
  client.middlewareStack.identify().filter((entry) => entry.startsWith(XRAY_MIDDLEWARE));

/** The tracer is on where Lambda names an X-Ray daemon (shared/xray/tracer.ts). */
const LAMBDA = { AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000' };

describe('awsPlatform', () => {
  it('captures every client it is given, the document client and its DynamoDB client once together', () => {
    const dynamoDb = new DynamoDBClient({ region: 'us-east-1' });
    const documentClient = createDocumentClient(dynamoDb);
    const eventBridge = new EventBridgeClient({ region: 'us-east-1' });
    awsPlatform({ dynamoDb, documentClient, eventBridge }, { ...LAMBDA, AWS_REGION: 'us-east-1' });
    expect(xrayMiddlewareOf(dynamoDb)).toHaveLength(1);
    expect(xrayMiddlewareOf(documentClient)).toHaveLength(1);
    expect(xrayMiddlewareOf(eventBridge)).toHaveLength(1);
  });

  it('captures a document client handed without its DynamoDB client', () => {
    const documentClient = createDocumentClient(new DynamoDBClient({ region: 'us-east-1' }));
    awsPlatform({ documentClient }, LAMBDA);
    expect(xrayMiddlewareOf(documentClient)).toHaveLength(1);
  });

  it('captures nothing where the environment names no X-Ray daemon', () => {
    const eventBridge = new EventBridgeClient({ region: 'us-east-1' });
    const platform = awsPlatform({ eventBridge }, { AWS_REGION: 'us-east-1' });
    expect(platform.tracer.isTracingEnabled()).toBe(false);
    expect(xrayMiddlewareOf(eventBridge)).toEqual([]);
  });

  it('holds only the clients it was given, and the region and name Lambda sets', () => {
    const sts = new STSClient({ region: 'eu-west-1' });
    const platform = awsPlatform(
      { sts },
      { AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: 'keyless-prod-role-validator' },
    );
    expect(platform.sts).toBe(sts);
    expect(Object.keys(platform)).not.toContain('lambda');
    expect(Object.keys(platform)).not.toContain('dynamoDb');
    expect(platform.region).toBe('eu-west-1');
    expect(platform.functionName).toBe('keyless-prod-role-validator');
  });
});
