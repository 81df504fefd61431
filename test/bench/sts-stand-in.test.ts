import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installSimulatedClock } from '../../bench/harness/clock.ts';
import { type StsStandIn, startStsStandIn } from '../../bench/sts-stand-in.ts';

const ROLE_ARN = 'arn:aws:iam::111122223333:role/KeylessAccess';
const EXTERNAL_ID = 'keyless-bench-0123456789abcdef';
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };

describe('STS stand-in', () => {
  let sts: StsStandIn;

  beforeAll(async () => {
    sts = await startStsStandIn({ latencyMs: { min: 0, max: 0 }, roles: new Map([[ROLE_ARN, EXTERNAL_ID]]) });
  });
  afterAll(() => sts.stop());
  beforeEach(() => sts.reset());

  const client = (options: { systemClockOffset?: number } = {}) =>
    new STSClient({ endpoint: sts.endpoint, region: 'us-east-1', credentials, maxAttempts: 1, ...options });

  it('answers the AWS SDK with credentials that expire DurationSeconds after the caller signed', async () => {
    // Prepare: a caller whose clock runs two hours ahead of this one
    const twoHours = 2 * 3600_000;

    // Act
    const { Credentials, AssumedRoleUser } = await client({ systemClockOffset: twoHours }).send(
      new AssumeRoleCommand({
        RoleArn: ROLE_ARN,
        RoleSessionName: 'bench-acme-1700000000',
        ExternalId: EXTERNAL_ID,
        DurationSeconds: 900,
      }),
    );

    // Assess
    expect(Credentials?.AccessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    expect(AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::111122223333:assumed-role/KeylessAccess/bench-acme-1700000000',
    );
    const expected = Date.now() + twoHours + 900_000;
    expect(Math.abs((Credentials?.Expiration?.getTime() ?? 0) - expected)).toBeLessThan(5_000);
    expect(sts.calls()).toHaveLength(1);
  });

  it('refuses an External ID that is not the role’s with AccessDenied, and does not count it as a call', async () => {
    const attempt = client().send(
      new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'bench', ExternalId: 'someone-else' }),
    );

    await expect(attempt).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(sts.calls()).toHaveLength(0);
    expect(sts.requestCount()).toBe(1);
  });

  it('refuses a DurationSeconds above the role’s MaxSessionDuration', async () => {
    const attempt = client().send(
      new AssumeRoleCommand({
        RoleArn: ROLE_ARN,
        RoleSessionName: 'bench',
        ExternalId: EXTERNAL_ID,
        DurationSeconds: 7200,
      }),
    );

    await expect(attempt).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('lets the SDK’s memoized provider, on the simulated clock, assume once per credential lifetime', async () => {
    // Prepare: the provider as an SDK client keeps it (memoized, refreshed 5 minutes before expiry)
    // (half a second past a whole second: the signing time STS sees is truncated to the second)
    const clock = installSimulatedClock(Math.floor(Date.now() / 1000) * 1000 + 500);
    try {
      const holder = new STSClient({
        region: 'us-east-1',
        credentials: fromTemporaryCredentials({
          params: {
            RoleArn: ROLE_ARN,
            ExternalId: EXTERNAL_ID,
            RoleSessionName: 'bench',
            DurationSeconds: 3600,
          },
          masterCredentials: credentials,
          clientConfig: { endpoint: sts.endpoint, region: 'us-east-1' },
        }),
      });

      // Act: a vend every simulated minute for two hours
      for (let minute = 0; minute < 120; minute++) {
        await holder.config.credentials();
        clock.advance(60_000);
      }
    } finally {
      clock.uninstall();
    }

    // Assess: at 0, 55 and 110 minutes
    expect(sts.calls().map((call) => Math.round((call.at - (sts.calls()[0]?.at ?? 0)) / 60_000))).toEqual([
      0, 55, 110,
    ]);
  });
});
