/** Errors of the onboarding lifecycle. */

/** Events that must go out could not be published after retries; the caller lets the platform retry. */
export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
  constructor(
    readonly failures: readonly { detailType: string; errorCode: string }[],
    options?: ErrorOptions,
  ) {
    super(
      `Could not publish ${failures.map((f) => `${f.detailType} (${f.errorCode})`).join(', ')}.`,
      options,
    );
  }
}
