/**
 * The ResponseURL allow-list (docs/architecture.md §6, invariant 2). A custom-resource request is attacker-controlled,
 * so Keyless sends an answer only to an https, pre-signed URL of CloudFormation's response bucket
 * of a region (`cloudformation-custom-resource-response-<region without dashes>`), on one of S3's
 * endpoint spellings, matched by exact pattern on the parsed URL:
 *
 * - virtual-hosted: `<bucket>.s3.amazonaws.com`, `<bucket>.s3.<region>.amazonaws.com`,
 *   `<bucket>.s3-<region>.amazonaws.com` (legacy), `<bucket>.s3.dualstack.<region>.amazonaws.com`,
 *   `<bucket>.s3-fips.<region>.amazonaws.com`, `<bucket>.s3-fips.dualstack.<region>.amazonaws.com`;
 * - path-style: the same hosts without the bucket, the bucket being the first path segment;
 * - `amazonaws.com.cn` for the China regions (aws-cn) and only for them; GovCloud (aws-us-gov)
 *   regions use `amazonaws.com`.
 *
 * When the endpoint names a region, the bucket must be that region's bucket. No userinfo, no
 * port, no IP address, no other scheme, and no switch that widens any of it: the local runtime and
 * the tests pass their own policy (local/emulator/response-receiver.ts), which admits the local
 * receiver and defers to this one for everything else.
 */

export type ResponseUrlVerdict =
  /** `bucketRegion`: the region of the CloudFormation response bucket, dashes removed (`useast1`). */
  { allowed: true; bucketRegion?: string } | { allowed: false; reason: string };

export type ResponseUrlPolicy = (responseUrl: string) => ResponseUrlVerdict;

const BUCKET_PREFIX = 'cloudformation-custom-resource-response-';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
/**
 * A region without its dashes, as CloudFormation names its response buckets (`useast1`,
 * `apsoutheast2`, `usgovwest1`, `cnnorth1`). Anyone can create a bucket called
 * `cloudformation-custom-resource-response-<anything>`, so the suffix must be a region's.
 */
const BUCKET_REGION = '[a-z]{2}(?:gov)?(?:central|(?:north|south)?(?:east|west)|north|south)\\d';
/** `s3`, `s3.<region>`, `s3-<region>`, `s3.dualstack.<region>`, `s3-fips[.dualstack].<region>`. */
const ENDPOINT = `s3(?:(?:\\.|-|\\.dualstack\\.|-fips\\.|-fips\\.dualstack\\.)(${REGION}))?`;
const SUFFIX = '\\.amazonaws\\.com(\\.cn)?';
const VIRTUAL_HOSTED = new RegExp(`^${BUCKET_PREFIX}(${BUCKET_REGION})\\.${ENDPOINT}${SUFFIX}$`);
const PATH_STYLE_HOST = new RegExp(`^${ENDPOINT}${SUFFIX}$`);
const PATH_STYLE_BUCKET = new RegExp(`^/${BUCKET_PREFIX}(${BUCKET_REGION})/.+`);
const MAX_URL_LENGTH = 4096;

/** A region as response buckets spell it: `us-east-1` → `useast1`. */
export const compactRegion = (region: string) => region.replaceAll('-', '');

function deny(reason: string): ResponseUrlVerdict {
  return { allowed: false, reason };
}

/** Checks bucket, endpoint region and partition suffix once the host has been matched. */
function checkBucket(
  bucketRegion: string,
  endpointRegion: string | undefined,
  chinaSuffix: string | undefined,
): ResponseUrlVerdict {
  const bucketInChina = bucketRegion.startsWith('cn');
  const bucketInGovCloud = bucketRegion.startsWith('usgov');
  if (endpointRegion !== undefined) {
    if (compactRegion(endpointRegion) !== bucketRegion)
      return deny('the response bucket does not belong to the endpoint region');
    if (endpointRegion.startsWith('cn-') !== (chinaSuffix !== undefined))
      return deny('the endpoint domain does not match the region partition');
    return { allowed: true, bucketRegion };
  }
  // The global endpoint (s3.amazonaws.com) exists only in the aws partition: a China or GovCloud
  // bucket name there would be another partition's bucket, owned by anyone.
  if (chinaSuffix !== undefined || bucketInChina || bucketInGovCloud)
    return deny('no global S3 endpoint in this partition');
  return { allowed: true, bucketRegion };
}

/** Builds the policy once (at cold start); the returned check is pure and synchronous. */
export function createResponseUrlPolicy(): ResponseUrlPolicy {
  return function checkResponseUrl(responseUrl: string): ResponseUrlVerdict {
    if (typeof responseUrl !== 'string' || responseUrl.length > MAX_URL_LENGTH)
      return deny('the ResponseURL is missing or too long');
    let url: URL;
    try {
      url = new URL(responseUrl);
    } catch {
      return deny('the ResponseURL is not a URL');
    }
    if (url.username !== '' || url.password !== '') return deny('the ResponseURL carries credentials');
    if (url.protocol !== 'https:') return deny('the ResponseURL is not https');
    if (url.port !== '') return deny('the ResponseURL names a port');
    const signed =
      url.searchParams.has('X-Amz-Signature') ||
      (url.searchParams.has('Signature') && url.searchParams.has('AWSAccessKeyId'));
    if (!signed) return deny('the ResponseURL is not a pre-signed S3 URL');

    const host = url.hostname;
    const virtual = VIRTUAL_HOSTED.exec(host);
    if (virtual) {
      if (url.pathname.length < 2) return deny('the ResponseURL has no object key');
      return checkBucket(virtual[1]!, virtual[2], virtual[3]);
    }
    const pathHost = PATH_STYLE_HOST.exec(host);
    if (pathHost) {
      const bucket = PATH_STYLE_BUCKET.exec(url.pathname);
      if (!bucket) return deny('the ResponseURL does not name a CloudFormation response bucket');
      return checkBucket(bucket[1]!, pathHost[1], pathHost[2]);
    }
    return deny('the ResponseURL host is not a CloudFormation response bucket endpoint');
  };
}
