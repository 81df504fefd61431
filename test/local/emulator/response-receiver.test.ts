import { describe, expect, it } from 'vitest';
import { localResponseUrlPolicy } from '#local/emulator/response-receiver.ts';
import { createResponseUrlPolicy } from '#shared/cloudformation/response-url.ts';

const SIGNED = '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature=abc';
const KEY = '/arn%3Aaws%3Acloudformation%3Aus-east-1%3A111122223333%3Astack/s/1%7CKeylessRegistration%7Cr';

describe('localResponseUrlPolicy', () => {
  const local = localResponseUrlPolicy('http://127.0.0.1:4577');

  it('admits exactly the local receiver besides the CloudFormation hosts', () => {
    expect(local('http://127.0.0.1:4577/_local/cloudformation-responses/abc')).toEqual({ allowed: true });
    expect(
      local(`https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com${KEY}${SIGNED}`),
    ).toEqual({ allowed: true, bucketRegion: 'useast1' });
  });

  it.each([
    'http://127.0.0.1:4578/cfn/abc',
    'http://localhost:4577/cfn/abc',
    'https://127.0.0.1:4577/cfn/abc',
    'http://user:pass@127.0.0.1:4577/cfn/abc',
    'http://127.0.0.1:4577.evil.example/cfn/abc',
    'http://127.0.0.1:4577/cfn/abc',
    'http://127.0.0.1:4577/2015-03-31/functions/revocation/invocations',
    'http://127.0.0.1:4577/_local/cloudformation-responses/../roles',
    'http://127.0.0.1:4577/_local/cloudformation-responses',
  ])('refuses the look-alike %s', (url) => {
    expect(local(url).allowed).toBe(false);
  });
});

describe('createResponseUrlPolicy', () => {
  it('has no switch that admits the local receiver: production refuses it', () => {
    expect(
      createResponseUrlPolicy()('http://127.0.0.1:4577/_local/cloudformation-responses/abc'),
    ).toMatchObject({
      allowed: false,
    });
  });
});
