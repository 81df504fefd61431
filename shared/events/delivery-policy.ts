/**
 * How an undelivered event is retried, read by the CDK stack (what is deployed) and by the local bus
 * and topic (what runs on one machine), so both make the same number of attempts. There are two layers,
 * as in AWS: the bus (or topic) hands the event to Lambda, then Lambda runs it.
 */

/**
 * EventBridge's retry policy for a rule target: it retries a hand-off the target refused with a
 * retriable error (throttling, service errors), never a missing target or a missing permission; a
 * Lambda target is invoked asynchronously, so a function error is Lambda's to retry, not EventBridge's.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/rule-dlq.html
 */
export const RULE_TARGET_RETRY_POLICY = {
  retryAttempts: 4,
  maxEventAgeSeconds: 2 * 60 * 60,
} as const;

/**
 * Lambda's handling of an asynchronous invocation (EventBridge and SNS both invoke that way): a
 * function error (a throw or a timeout) is retried twice, after one minute and then two.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
export const ASYNC_INVOCATION_RETRY_POLICY = {
  retryAttempts: 2,
  maxEventAgeSeconds: 6 * 60 * 60,
} as const;
