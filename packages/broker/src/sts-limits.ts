/**
 * The limits a credential request is checked against before any AWS call: STS's documented input
 * limits (AssumeRole API reference) and the identifier rules of a Keyless connection.
 */

/** RoleSessionName and SourceIdentity: 2–64 characters of `[\w+=,.@-]`. */
export const SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
export const SESSION_NAME_MAX = 64;
export const SESSION_DURATION_MIN_SECONDS = 900;
/** The customer role's MaxSessionDuration in the Keyless customer template. */
export const ROLE_MAX_SESSION_SECONDS = 3600;
/** STS's limit on an inline session policy (plain text). */
export const SESSION_POLICY_MAX_CHARS = 2048;
/** A 12-digit AWS account id. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** A Keyless customer id: 1–128 of letters, digits and `_ . @ + = : -`, starting with a letter or digit. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][\w.@+=:-]{0,127}$/;

/** Keeps only characters STS accepts in a session name, replacing the rest by `-`. */
export function toSessionNameChars(value: string): string {
  return value.replace(/[^\w+=,.@-]/g, '-');
}
