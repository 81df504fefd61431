import { describe, expect, it } from 'vitest';
import { createResponseUrlPolicy } from '#shared/cloudformation/response-url.ts';

const SIGNED = '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature=abc';
const KEY = '/arn%3Aaws%3Acloudformation%3Aus-east-1%3A111122223333%3Astack/s/1%7CKeylessRegistration%7Cr';
const policy = createResponseUrlPolicy();

describe('createResponseUrlPolicy', () => {
  it.each([
    `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com${KEY}${SIGNED}`,
    `https://cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com${KEY}${SIGNED}`,
    `https://cloudformation-custom-resource-response-uswest2.s3-us-west-2.amazonaws.com${KEY}${SIGNED}`,
    `https://cloudformation-custom-resource-response-euwest1.s3.dualstack.eu-west-1.amazonaws.com${KEY}${SIGNED}`,
    `https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1${KEY}${SIGNED}`,
    `https://s3.eu-central-1.amazonaws.com/cloudformation-custom-resource-response-eucentral1${KEY}${SIGNED}`,
    `https://s3-ap-southeast-2.amazonaws.com/cloudformation-custom-resource-response-apsoutheast2${KEY}${SIGNED}`,
    `https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn${KEY}${SIGNED}`,
    `https://cloudformation-custom-resource-response-usgovwest1.s3.us-gov-west-1.amazonaws.com${KEY}${SIGNED}`,
    `https://cloudformation-custom-resource-response-usgovwest1.s3-fips.us-gov-west-1.amazonaws.com${KEY}${SIGNED}`,
    `https://CloudFormation-Custom-Resource-Response-USEast1.S3.AMAZONAWS.COM${KEY}${SIGNED}`,
    `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com${KEY}?AWSAccessKeyId=AKIA&Expires=1&Signature=x`,
  ])('admits %s and names its bucket region', (url) => {
    const bucket = /cloudformation-custom-resource-response-([a-z0-9]+)/i.exec(url)?.[1]?.toLowerCase();
    expect(policy(url)).toEqual({ allowed: true, bucketRegion: bucket });
  });

  it.each([
    [
      'userinfo that makes the real host another one',
      `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com@evil.example${KEY}${SIGNED}`,
    ],
    [
      'a suffix trick',
      `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.evil.example${KEY}${SIGNED}`,
    ],
    [
      'a prefix trick',
      `https://evilcloudformation-custom-resource-response-useast1.s3.amazonaws.com${KEY}${SIGNED}`,
    ],
    ['another bucket', `https://my-bucket.s3.amazonaws.com${KEY}${SIGNED}`],
    ['another bucket, path style', `https://s3.amazonaws.com/my-bucket${KEY}${SIGNED}`],
    [
      'a bucket of another region than the endpoint',
      `https://cloudformation-custom-resource-response-useast1.s3.eu-west-1.amazonaws.com${KEY}${SIGNED}`,
    ],
    [
      'a China bucket on the global endpoint',
      `https://cloudformation-custom-resource-response-cnnorth1.s3.amazonaws.com${KEY}${SIGNED}`,
    ],
    [
      'a .cn domain for a non-China region',
      `https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com.cn${KEY}${SIGNED}`,
    ],
    ['plain http', `http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com${KEY}${SIGNED}`],
    [
      'another port',
      `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443${KEY}${SIGNED}`,
    ],
    ['an unsigned URL', `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com${KEY}`],
    ['an IP address', `https://52.216.0.1${KEY}${SIGNED}`],
    [
      'the instance metadata endpoint',
      `http://169.254.169.254/latest/meta-data/iam/security-credentials/${SIGNED}`,
    ],
    [
      'a path that walks out of the bucket',
      `https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/../evil-bucket/x${SIGNED}`,
    ],
    ['a file URL', 'file:///etc/passwd'],
    ['not a URL', 'cloudformation-custom-resource-response-useast1'],
    [
      'an oversized URL',
      `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/${'a'.repeat(5000)}${SIGNED}`,
    ],
  ])('refuses %s', (_what, url) => {
    expect(policy(url)).toMatchObject({ allowed: false, reason: expect.any(String) });
  });
});
