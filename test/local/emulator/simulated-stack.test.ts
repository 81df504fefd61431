import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSimulatedAccounts,
  NO_RESPONSE_REASON,
  parseLaunchUrl,
} from '#local/emulator/simulated-stack.ts';
import type { LocalSystem } from '#local/emulator/system.ts';
import { quickCreateUrl } from '#shared/onboarding/setups.ts';
import { startFixtureSystem } from './fixture-system.ts';
import { received } from './fixtures/recorder.ts';

const ACCOUNT = '111122223333';
const EXTERNAL_ID = 'keyless-acme-0123456789abcdef0123456789abcdef';
let system: LocalSystem;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'keyless-stacks-'));
  system = await startFixtureSystem();
});

afterAll(async () => {
  await system?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

beforeEach(() => {
  received().length = 0;
});

const launchUrl = () =>
  quickCreateUrl({
    region: 'us-east-1',
    templateUrl: system.info().templateUrl,
    stackName: 'keyless-acme',
    parameters: {
      ExternalId: EXTERNAL_ID,
      CustomerId: 'acme',
      RoleName: 'KeylessAccess',
      SetupPhase: 'true',
    },
  });

/** The custom resource request the stand-in callback received, once it arrives. */
async function nextRequest(): Promise<
  Record<string, string> & { ResourceProperties: Record<string, string> }
> {
  for (let i = 0; i < 100; i += 1) {
    const delivery = received().find((r) => r.name === 'registration-callback');
    if (delivery) return JSON.parse((delivery.event as SNSEvent).Records[0]?.Sns.Message ?? '{}');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no request reached the callback');
}

/** Answers as the provider must: PUT, empty Content-Type. */
const answer = (responseUrl: string, body: Record<string, unknown>) =>
  fetch(responseUrl, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': '' } });

describe('parseLaunchUrl', () => {
  it('reads region, template, stack name and every param_ of a quick-create link', () => {
    expect(parseLaunchUrl(launchUrl())).toEqual({
      region: 'us-east-1',
      templateUrl: system.info().templateUrl,
      stackName: 'keyless-acme',
      parameters: {
        ExternalId: EXTERNAL_ID,
        CustomerId: 'acme',
        RoleName: 'KeylessAccess',
        SetupPhase: 'true',
      },
    });
  });

  it('refuses a link that is not a quick-create link', () => {
    expect(() => parseLaunchUrl('https://example.com/')).toThrow(/quick-create/);
  });
});

describe('a simulated stack', () => {
  it('sends the Create as CloudFormation does: through SNS, string properties, a ResponseURL on the local receiver', async () => {
    // Prepare
    const accounts = createSimulatedAccounts({ endpoint: system.endpoint, stateDir });
    // Act
    const deploying = accounts.deploy({ launchUrl: launchUrl(), accountId: ACCOUNT });
    const request = await nextRequest();
    await answer(request.ResponseURL ?? '', {
      Status: 'SUCCESS',
      PhysicalResourceId: `keyless-acme-${ACCOUNT}`,
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: request.LogicalResourceId,
    });
    const outcome = await deploying;
    // Assess
    expect(request).toMatchObject({
      RequestType: 'Create',
      ResourceType: 'Custom::KeylessRegistration',
      LogicalResourceId: 'KeylessRegistration',
      ServiceToken: system.info().registrationTopicArn,
      StackId: expect.stringMatching(
        /^arn:aws:cloudformation:us-east-1:111122223333:stack\/keyless-acme\/[0-9a-f-]{36}$/,
      ),
      ResourceProperties: {
        ServiceToken: system.info().registrationTopicArn,
        ServiceTimeout: '900',
        CustomerId: 'acme',
        ExternalId: EXTERNAL_ID,
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/KeylessAccess`,
        TemplateVersion: '1',
      },
    });
    expect(request.ResponseURL?.startsWith(`${system.endpoint}/_local/cloudformation-responses/`)).toBe(true);
    expect(outcome.status).toBe('CREATE_COMPLETE');
    expect(system.sts.getRole(`arn:aws:iam::${ACCOUNT}:role/KeylessAccess`)).toBeDefined();
  });

  it('fails the Create with CloudFormation’s reason when no answer comes within the ServiceTimeout, and removes the role', async () => {
    // Prepare
    const accounts = createSimulatedAccounts({
      endpoint: system.endpoint,
      stateDir,
      serviceTimeoutSeconds: 1,
    });
    // Act
    const outcome = await accounts.deploy({ launchUrl: launchUrl(), accountId: '222233334444' });
    // Assess
    const request = await nextRequest();
    expect(outcome).toMatchObject({
      status: 'CREATE_FAILED',
      reason: NO_RESPONSE_REASON(request.RequestId ?? ''),
    });
    expect(outcome.events.at(-1)).toBe('ROLLBACK_COMPLETE keyless-acme');
    expect(system.sts.getRole('arn:aws:iam::222233334444:role/KeylessAccess')).toBeUndefined();
  });

  it('treats a FAILED answer without a Reason as CloudFormation does, then rolls back with a Delete', async () => {
    // Prepare
    const accounts = createSimulatedAccounts({
      endpoint: system.endpoint,
      stateDir,
      serviceTimeoutSeconds: 5,
    });
    // Act
    const deploying = accounts.deploy({ launchUrl: launchUrl(), accountId: '333344445555' });
    const request = await nextRequest();
    received().length = 0;
    const common = {
      StackId: request.StackId,
      LogicalResourceId: request.LogicalResourceId,
      PhysicalResourceId: 'p-1',
    };
    await answer(request.ResponseURL ?? '', { ...common, Status: 'FAILED', RequestId: request.RequestId });
    const rollback = await nextRequest();
    await answer(rollback.ResponseURL ?? '', { ...common, Status: 'SUCCESS', RequestId: rollback.RequestId });
    const outcome = await deploying;
    // Assess
    expect(outcome).toMatchObject({
      status: 'CREATE_FAILED',
      reason: 'See the details in CloudWatch Log Stream',
    });
    expect(rollback).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: 'p-1' });
  });

  it('fails the Create when the answer names another request', async () => {
    const accounts = createSimulatedAccounts({
      endpoint: system.endpoint,
      stateDir,
      serviceTimeoutSeconds: 1,
    });
    const deploying = accounts.deploy({ launchUrl: launchUrl(), accountId: '444455556666' });
    const request = await nextRequest();
    await answer(request.ResponseURL ?? '', {
      Status: 'SUCCESS',
      PhysicalResourceId: 'p',
      StackId: request.StackId,
      RequestId: 'another-request',
      LogicalResourceId: request.LogicalResourceId,
    });
    expect(await deploying).toMatchObject({
      status: 'CREATE_FAILED',
      reason: 'Invalid response object: RequestId does not match',
    });
  });

  it.each([
    [undefined, { SourceIdentity: 'role-validator' }, true],
    [undefined, { ExternalId: undefined }, false],
    ['no-external-id', { ExternalId: undefined }, true],
    ['no-external-id', {}, true],
    ['wrong-principal', {}, false],
    ['missing-permissions', { SourceIdentity: 'role-validator' }, false],
  ] as const)(
    'with tamper %s, AssumeRole %j as the provider is allowed: %s',
    async (tamper, input, allowed) => {
      // Prepare
      const accountId = `9${String(Math.floor(Math.random() * 1e11)).padStart(11, '0')}`;
      const accounts = createSimulatedAccounts({
        endpoint: system.endpoint,
        stateDir,
        serviceTimeoutSeconds: 5,
      });
      const deploying = accounts.deploy({ launchUrl: launchUrl(), accountId, tamper });
      const request = await nextRequest();
      await answer(request.ResponseURL ?? '', {
        Status: 'SUCCESS',
        PhysicalResourceId: 'p',
        StackId: request.StackId,
        RequestId: request.RequestId,
        LogicalResourceId: request.LogicalResourceId,
      });
      await deploying;
      // Act
      const attempt = system.sts.assumeRole(
        system.sts.callerFor(undefined),
        {
          RoleArn: `arn:aws:iam::${accountId}:role/KeylessAccess`,
          RoleSessionName: 'probe',
          ExternalId: EXTERNAL_ID,
          ...input,
        },
        '127.0.0.1',
      );
      // Assess
      if (allowed) await expect(attempt).resolves.toBeDefined();
      else await expect(attempt).rejects.toMatchObject({ code: 'AccessDenied' });
    },
  );
});
