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
  override readonly name = 'ConflictError';
  readonly statusCode = 409;
  constructor(
    message: string,
    readonly current?: { status?: string; version?: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Secure randomness was unavailable; there is deliberately no fallback. */
export class RandomnessUnavailableError extends Error {
  override readonly name = 'RandomnessUnavailableError';
}
