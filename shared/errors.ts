/**
 * Typed errors a caller can branch on. Each passes the original failure through `cause`,
 * and those with a `statusCode` below 500 may be shown to a client as they are.
 */

/** Input failed validation at the edge; the message says which field and why. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A required environment variable is missing or invalid; thrown at cold start. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** The thing asked for does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  readonly statusCode = 404;
}

/** The domain forbids this state change (e.g. anything out of REVOKED). */
export class ForbiddenTransitionError extends Error {
  override readonly name = 'ForbiddenTransitionError';
  readonly statusCode = 409;
  constructor(
    readonly from: string,
    readonly to: string,
    allowed: readonly string[],
  ) {
    super(
      `Connection cannot move from ${from} to ${to}: ${
        allowed.length === 0 ? `${from} is terminal` : `from ${from} only ${allowed.join(', ')} are allowed`
      }.`,
    );
  }
}

/**
 * A conditional write lost a race or found the item in another state than expected.
 * `current` holds what DynamoDB returned for the item at the time, when it exists.
 */
export class ConflictError extends Error {
  override readonly name: string = 'ConflictError';
  readonly statusCode = 409;
  constructor(
    message: string,
    readonly current?: { status?: string; version?: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A stack or a role is already linked to another live connection: a stack registers one
 * connection and a role serves one customer (docs/architecture.md §6, invariants 4 and 9).
 */
export class LinkConflictError extends ConflictError {
  override readonly name: string = 'LinkConflictError';
  constructor(
    readonly link: 'stack' | 'role',
    readonly value: string,
    options?: ErrorOptions,
  ) {
    super(
      link === 'role'
        ? `Role ${value} is already connected for another customer of this provider: a role serves one customer, so create a separate role for this integration.`
        : `Stack ${value} already registered another connection: a stack registers one connection.`,
      undefined,
      options,
    );
  }
}

/** Secure randomness was unavailable; there is deliberately no fallback. */
export class RandomnessUnavailableError extends Error {
  override readonly name = 'RandomnessUnavailableError';
}
