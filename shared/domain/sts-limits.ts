/** STS's documented input limits, in one place (AssumeRole API reference). */

/** ExternalId: 2–1224 characters of `[\w+=,.@:/-]`. */
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
/** RoleSessionName and SourceIdentity: 2–64 characters of `[\w+=,.@-]`. */
export const SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
export const SESSION_NAME_MAX = 64;
export const SESSION_DURATION_MIN_SECONDS = 900;
export const SESSION_DURATION_MAX_SECONDS = 43_200;
/** The customer role's MaxSessionDuration in the generated template. */
export const ROLE_MAX_SESSION_SECONDS = 3600;

/** IAM role ARN in any partition; account is 12 digits, path and name per IAM's limits. */
export const ROLE_ARN_PATTERN =
  /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/((?:[\u0021-\u007e]{1,510}\/)?[\w+=,.@-]{1,64})$/;

/**
 * Keeps only characters STS accepts in a session name, replacing the rest by `-`, so a
 * customer id with spaces or unicode can never make AssumeRole fail validation.
 */
export function toSessionNameChars(value: string): string {
  return value.replace(/[^\w+=,.@-]/g, '-');
}
