/**
 * Why the credential broker refused to vend. A worker branches on the class (or `name`):
 * `instanceof ConnectionRevokedError` → stop working for that customer; `ValidationPendingError`
 * → try again later; `AssumeRoleDeniedError` → the customer's role no longer trusts us.
 * No message or property ever carries a credential or a legacy key.
 */
import type { ConnectionStatus } from './types.ts';

/** Base of every broker refusal; names the connection it is about. */
export class CredentialBrokerError extends Error {
  override readonly name: string = 'CredentialBrokerError';
  constructor(
    message: string,
    readonly customerId: string,
    readonly accountId: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No connection exists for this customer and account: the customer has not onboarded it. */
export class NotOnboardedError extends CredentialBrokerError {
  override readonly name = 'NotOnboardedError';
  constructor(customerId: string, accountId: string) {
    super(`Customer ${customerId} has not connected AWS account ${accountId}.`, customerId, accountId);
  }
}

/** The role is registered but not yet proven (REGISTERED); retry once validation has run. */
export class ValidationPendingError extends CredentialBrokerError {
  override readonly name = 'ValidationPendingError';
  constructor(customerId: string, accountId: string) {
    super(
      `The connection ${customerId}/${accountId} is still being validated; credentials are vended once it is ACTIVE.`,
      customerId,
      accountId,
    );
  }
}

/** Validation failed (FAILED) or a later re-validation found the role gone (BROKEN). */
export class ConnectionFailedError extends CredentialBrokerError {
  override readonly name = 'ConnectionFailedError';
  constructor(
    customerId: string,
    accountId: string,
    readonly status: Extract<ConnectionStatus, 'FAILED' | 'BROKEN'>,
  ) {
    super(
      `The connection ${customerId}/${accountId} is ${status}; the customer must fix or re-deploy their Keyless stack.`,
      customerId,
      accountId,
    );
  }
}

/** The customer revoked access (REVOKED is terminal): never retry. */
export class ConnectionRevokedError extends CredentialBrokerError {
  override readonly name = 'ConnectionRevokedError';
  constructor(customerId: string, accountId: string) {
    super(`Access to ${customerId}/${accountId} was revoked.`, customerId, accountId);
  }
}

/** The stored connection is ACTIVE but lacks what its auth method needs (role ARN, External ID, secret). */
export class ConnectionMisconfiguredError extends CredentialBrokerError {
  override readonly name = 'ConnectionMisconfiguredError';
}

/** STS refused AssumeRole (AccessDenied): the role's trust policy no longer lets us in. */
export class AssumeRoleDeniedError extends CredentialBrokerError {
  override readonly name = 'AssumeRoleDeniedError';
  constructor(
    customerId: string,
    accountId: string,
    /** The STS error code, e.g. `AccessDenied`. */
    readonly stsErrorCode: string,
    options?: ErrorOptions,
  ) {
    super(
      `STS denied AssumeRole for ${customerId}/${accountId} (${stsErrorCode}).`,
      customerId,
      accountId,
      options,
    );
  }
}

/** AssumeRole failed for another reason (throttled past the SDK's retries, region disabled, bad policy…). */
export class AssumeRoleFailedError extends CredentialBrokerError {
  override readonly name = 'AssumeRoleFailedError';
  constructor(
    customerId: string,
    accountId: string,
    /** The STS error code, e.g. `Throttling`, `RegionDisabledException`, `MalformedPolicyDocument`. */
    readonly stsErrorCode: string,
    options?: ErrorOptions,
  ) {
    super(
      `AssumeRole for ${customerId}/${accountId} failed (${stsErrorCode}).`,
      customerId,
      accountId,
      options,
    );
  }
}

/** A credential request the broker refuses before any AWS call; `issues` names each bad field. */
export class InvalidCredentialRequestError extends Error {
  override readonly name = 'InvalidCredentialRequestError';
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message);
  }
}

/** A broker setting from the environment is missing or invalid; the message names every one. */
export class BrokerConfigurationError extends Error {
  override readonly name = 'BrokerConfigurationError';
}

/** The legacy access keys could not be read or do not have the expected shape. */
export class LegacyKeysUnavailableError extends CredentialBrokerError {
  override readonly name = 'LegacyKeysUnavailableError';
}

/**
 * True when retrying cannot help until the customer (or an operator) acts: not onboarded, failed
 * or broken, revoked, misconfigured, or denied by the role. A worker drops such work; anything
 * else (validation pending, throttling, a transient read failure) is worth a retry.
 */
export function isPermanentRefusal(error: unknown): error is CredentialBrokerError {
  return (
    error instanceof NotOnboardedError ||
    error instanceof ConnectionFailedError ||
    error instanceof ConnectionRevokedError ||
    error instanceof ConnectionMisconfiguredError ||
    error instanceof AssumeRoleDeniedError
  );
}
