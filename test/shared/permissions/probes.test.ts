/**
 * Probes (docs/architecture.md §9.4): how one probe call's answer is classified, and how the
 * permission check merges probes into what it records. The local endpoint makes the allowed and
 * denied answers for real (test/local/emulator/probes.test.ts); the SDK client is mocked here only
 * for what the local parts cannot produce: throttling, the network, a resource-based policy.
 */
import { DescribeTableCommand, DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import type { IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type PermissionCheck, permissionChecksOf } from '#shared/permissions/checks.ts';
import {
  createPermissionChecker,
  describeMissing,
  type PermissionReport,
  withUnprobedFindings,
} from '#shared/permissions/permission-check.ts';
import { classifyProbeError, PROBE_CALLS, type ProbeCall, runProbe } from '#shared/permissions/probes.ts';

const ROLE = 'arn:aws:iam::111122223333:role/KeylessAccess';
const CREDENTIALS = { AccessKeyId: 'ASIA0', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() };
const DENIED = (reason: string) =>
  Object.assign(
    new Error(
      `User: arn:aws:sts::111122223333:assumed-role/KeylessAccess/s is not authorized to perform: dynamodb:DescribeTable on resource: arn:aws:dynamodb:us-east-1:111122223333:table/keyless-permission-probe ${reason}`,
    ),
    { name: 'AccessDeniedException' },
  );
const named = (name: string, message = name) => Object.assign(new Error(message), { name });

describe('classifyProbeError', () => {
  it.each([
    [named('ResourceNotFoundException', 'Requested resource not found'), { kind: 'allowed' }],
    [DENIED('with an explicit deny in a resource control policy'), { kind: 'denied', layer: 'rcp-deny' }],
    [
      DENIED(
        'with an explicit deny in a resource control policy: arn:aws:organizations::999988887777:policy/o-abcdefghij/resource_control_policy/p-1',
      ),
      { kind: 'denied', layer: 'rcp-deny' },
    ],
    [
      DENIED('with an explicit deny in a resource-based policy'),
      { kind: 'denied', layer: 'resource-policy-deny' },
    ],
    [DENIED('with an explicit deny in a service control policy'), { kind: 'denied', layer: 'scp-deny' }],
    [
      DENIED('because no identity-based policy allows the dynamodb:DescribeTable action'),
      { kind: 'denied', layer: 'identity-no-allow' },
    ],
    [named('AccessDenied', 'Access Denied'), { kind: 'denied', layer: 'unknown' }],
    [named('ThrottlingException'), { kind: 'inconclusive', reason: 'ThrottlingException' }],
    [named('ExpiredTokenException'), { kind: 'inconclusive', reason: 'ExpiredTokenException' }],
    [named('TimeoutError'), { kind: 'inconclusive', reason: 'TimeoutError' }],
    ['a string', { kind: 'inconclusive', reason: 'a string was thrown' }],
  ])('reads %s as %j', (error, outcome) => {
    expect(classifyProbeError(error)).toEqual(outcome);
  });
});

describe('the DynamoDB probe call', () => {
  const dynamoDb = mockClient(DynamoDBClient);
  afterEach(() => dynamoDb.reset());
  const target = {
    resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders',
    region: 'eu-west-1',
    credentials: CREDENTIALS,
  };

  it('asks about the table by name and makes one call when throttled, which tells nothing', async () => {
    dynamoDb.on(DescribeTableCommand).rejects(
      new DynamoDBServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    expect(await runProbe(PROBE_CALLS['dynamodb:DescribeTable'], target)).toEqual({
      kind: 'inconclusive',
      reason: 'ThrottlingException',
    });
    expect(dynamoDb.commandCalls(DescribeTableCommand)).toHaveLength(1);
    expect(dynamoDb.commandCalls(DescribeTableCommand)[0]?.args[0].input).toEqual({ TableName: 'orders' });
  });

  it('is allowed when the table is there', async () => {
    dynamoDb.on(DescribeTableCommand).resolves({ Table: { TableName: 'orders' } });
    expect(await runProbe(PROBE_CALLS['dynamodb:DescribeTable'], target)).toEqual({ kind: 'allowed' });
  });
});

/** A simulator that allows every action but those named, which it reports not granted. */
function simulator(notGranted: string[] = []) {
  let calls = 0;
  const client = {
    send: async (command: { input: { ActionNames: string[] } }) => {
      calls += 1;
      return {
        EvaluationResults: command.input.ActionNames.map((action) => ({
          EvalActionName: action,
          EvalDecision: notGranted.includes(action) ? 'implicitDeny' : 'allowed',
        })),
      };
    },
    destroy: () => {},
  };
  return { iamFor: () => client as unknown as IAMClient, calls: () => calls };
}

const statements = (probe: { Action: string; Resource?: string }) => [
  {
    Effect: 'Allow' as const,
    Action: ['ssm:GetParameter', 'dynamodb:DescribeTable'],
    Resource: '*',
    Condition: { StringEquals: { 'aws:ResourceTag/keyless:access': 'read' } },
    Probes: [probe],
  },
];
const checksWith = (probe: { Action: string; Resource?: string }): PermissionCheck[] =>
  permissionChecksOf({ statements: statements(probe) });

/** A probe call that answers `answer` and records what it was asked. */
function probeAnswering(answer: Error | undefined) {
  const asked: Parameters<ProbeCall>[0][] = [];
  const call: ProbeCall = async (target) => {
    asked.push(target);
    if (answer) throw answer;
  };
  return { call, asked };
}

async function checkWith(
  probe: { Action: string; Resource?: string },
  answer: Error | undefined,
  notGranted: string[] = [],
) {
  const iam = simulator(notGranted);
  const dynamoDb = probeAnswering(answer);
  const report = await createPermissionChecker({
    checks: checksWith(probe),
    region: 'us-east-1',
    iamFor: iam.iamFor,
    probeCalls: { 'dynamodb:DescribeTable': dynamoDb.call },
  }).check({ roleArn: ROLE, credentials: CREDENTIALS });
  return { report, asked: dynamoDb.asked, simulatorCalls: iam.calls() };
}

describe('the permission check with a probe', () => {
  it('marks the probed check with the resource it asks about', () => {
    expect(checksWith({ Action: 'dynamodb:DescribeTable' })[1]?.probe).toEqual({
      resource:
        'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/keyless-permission-probe',
      named: false,
    });
    expect(checksWith({ Action: 'dynamodb:DescribeTable' })[0]).not.toHaveProperty('probe');
  });

  it('makes one simulator call and one probe call, in the role’s account and region', async () => {
    const { report, asked, simulatorCalls } = await checkWith(
      { Action: 'dynamodb:DescribeTable' },
      named('ResourceNotFoundException'),
    );
    expect(report).toEqual({ checkedAt: expect.any(String), missing: [], optionalMissing: [] });
    expect(simulatorCalls).toBe(1);
    expect(asked).toEqual([
      {
        resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/keyless-permission-probe',
        region: 'us-east-1',
        credentials: CREDENTIALS,
        endpoint: undefined,
      },
    ]);
  });

  it('records a resource control policy the simulator allowed, with its layer and fix', async () => {
    const { report } = await checkWith(
      { Action: 'dynamodb:DescribeTable' },
      DENIED('with an explicit deny in a resource control policy'),
    );
    expect(report.missing).toEqual([{ action: 'dynamodb:DescribeTable', layer: 'rcp-deny' }]);
    expect(describeMissing(report.missing, ROLE)).toBe(
      'dynamodb:DescribeTable is denied by a resource control policy of your organization: ask your AWS administrator to allow it for role KeylessAccess in the resource control policy.',
    );
  });

  it("records a resource-based policy's deny", async () => {
    const { report } = await checkWith(
      { Action: 'dynamodb:DescribeTable' },
      DENIED('with an explicit deny in a resource-based policy'),
    );
    expect(report.missing).toEqual([{ action: 'dynamodb:DescribeTable', layer: 'resource-policy-deny' }]);
  });

  it('leaves to the simulator what a resource that does not exist cannot show: its tags', async () => {
    const { report } = await checkWith(
      { Action: 'dynamodb:DescribeTable' },
      DENIED('because no identity-based policy allows the dynamodb:DescribeTable action'),
    );
    expect(report.missing).toEqual([]);
  });

  it('records any denial of a probe on a resource the provider named', async () => {
    const { report, asked } = await checkWith(
      {
        Action: 'dynamodb:DescribeTable',
        Resource: 'arn:${AWS::Partition}:dynamodb:eu-west-1:${AWS::AccountId}:table/orders',
      },
      DENIED('because no identity-based policy allows the dynamodb:DescribeTable action'),
    );
    expect(asked[0]).toMatchObject({
      resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders',
      region: 'eu-west-1',
    });
    expect(report.missing).toEqual([{ action: 'dynamodb:DescribeTable', layer: 'identity-no-allow' }]);
  });

  it('makes no probe call for an action the simulator already found denied', async () => {
    const { report, asked } = await checkWith({ Action: 'dynamodb:DescribeTable' }, undefined, [
      'dynamodb:DescribeTable',
    ]);
    expect(asked).toEqual([]);
    expect(report.missing).toEqual([{ action: 'dynamodb:DescribeTable', layer: 'identity-no-allow' }]);
  });

  it('reports a throttled probe as unprobed, and the last finding stands', async () => {
    const { report } = await checkWith({ Action: 'dynamodb:DescribeTable' }, named('ThrottlingException'));
    expect(report).toMatchObject({ missing: [], unprobed: ['dynamodb:DescribeTable'] });
    const previous = (layer: string): PermissionReport => ({
      checkedAt: '2026-12-01T00:00:00.000Z',
      missing: [{ action: 'dynamodb:DescribeTable', layer: layer as 'rcp-deny' }],
      optionalMissing: [],
    });
    expect(withUnprobedFindings(previous('rcp-deny'), report).missing).toEqual([
      { action: 'dynamodb:DescribeTable', layer: 'rcp-deny' },
    ]);
    // Only what a probe alone sees is carried: the simulator has just allowed what an SCP denied.
    expect(withUnprobedFindings(previous('scp-deny'), report).missing).toEqual([]);
  });
});
