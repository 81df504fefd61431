/**
 * CloudFormation custom-resource requests, delivered directly (Lambda ServiceToken) or wrapped in
 * an SNS notification (SNS topic ServiceToken). Every field is attacker-controlled: the request is
 * parsed in two layers, so a request that can be answered (allow-listed ResponseURL, bounded
 * identifiers) always gets an answer, FAILED with the reason when its properties are invalid.
 */
import * as z from 'zod/mini';
import { TEMPLATE_VERSION_PATTERN } from '../customer-template/catalogue.ts';
import { customerIdSchema, externalIdSchema, roleArnSchema } from '../domain/identifiers.ts';
import '../zod-locale.ts';

/** What is needed to answer at all; bounded so an answer always fits CloudFormation's 4096 bytes. */
export const answerableRequestSchema = z.object({
  ResponseURL: z.string().check(z.minLength(1), z.maxLength(4096)),
  StackId: z.string().check(z.minLength(1), z.maxLength(1024)),
  RequestId: z.string().check(z.minLength(1), z.maxLength(256)),
  LogicalResourceId: z.string().check(z.minLength(1), z.maxLength(256)),
});

export const customResourceRequestSchema = z.extend(answerableRequestSchema, {
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResourceType: z.optional(z.string().check(z.maxLength(256))),
  ServiceToken: z.optional(z.string().check(z.maxLength(2048))),
  PhysicalResourceId: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  ResourceProperties: z.optional(z.record(z.string(), z.unknown())),
  OldResourceProperties: z.optional(z.record(z.string(), z.unknown())),
});
export type CustomResourceRequest = z.output<typeof customResourceRequestSchema>;

/** The properties of `Custom::KeylessRegistration` (CloudFormation passes every value as a string). */
export const registrationPropertiesSchema = z.object({
  CustomerId: customerIdSchema,
  ExternalId: externalIdSchema,
  RoleArn: roleArnSchema,
  TemplateVersion: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(z.regex(TEMPLATE_VERSION_PATTERN, 'must be the template version number, such as "3"')),
  ),
});
export type RegistrationProperties = z.output<typeof registrationPropertiesSchema>;

/** The SNS notification a topic ServiceToken delivers: the request is the JSON string in Message. */
export const snsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal('aws:sns'),
        Sns: z.object({
          MessageId: z.string(),
          TopicArn: z.string(),
          Message: z.string().check(z.maxLength(262_144)),
        }),
      }),
    )
    .check(z.minLength(1)),
});
export type CustomResourceSnsEvent = z.output<typeof snsEventSchema>;

/** The callback's input: a direct request or an SNS notification carrying requests. */
export type RegistrationEvent = CustomResourceRequest | CustomResourceSnsEvent;

/** One request as it arrived, before validation. */
export interface Delivery {
  /** The SNS MessageId, or the RequestId of a direct request: the id of what caused a change. */
  deliveryId: string;
  payload: unknown;
  /**
   * For an SNS delivery, the region of the topic that delivered it (set by SNS, not by the sender).
   * A ServiceToken is always in the stack's own region, so CloudFormation's response bucket is too.
   */
  topicRegion?: string;
}

/**
 * Splits an incoming event into the requests it carries. A message that is not JSON stays in the
 * list as `undefined` payload, so the caller can log and count it.
 */
export function toDeliveries(event: unknown): Delivery[] {
  const sns = snsEventSchema.safeParse(event);
  if (sns.success) {
    return sns.data.Records.map((record) => {
      const topicRegion = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):/.exec(record.Sns.TopicArn)?.[1];
      return {
        deliveryId: record.Sns.MessageId,
        payload: parseJson(record.Sns.Message),
        ...(topicRegion ? { topicRegion } : {}),
      };
    });
  }
  const requestId =
    typeof event === 'object' &&
    event !== null &&
    typeof (event as { RequestId?: unknown }).RequestId === 'string'
      ? (event as { RequestId: string }).RequestId
      : 'unknown';
  return [{ deliveryId: requestId, payload: event }];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Turns zod issues into one sentence naming each field and what is wrong with it. */
export function describeIssues(error: z.core.$ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return `${prefix}${path || 'request'} ${issue.message}`;
    })
    .join('; ');
}
