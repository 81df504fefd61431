/**
 * Middy middleware that turns an API handler's errors into answers: an error with a statusCode
 * below 500 (ValidationError, NotFoundError, ConflictError, HttpError…) goes to the caller with
 * its message (and, for validation, which field and why); anything else is logged in full and
 * answered with a generic 500 that carries only the request id — never a stack trace.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Log } from '../onboarding/dependencies.ts';
import { type ApiResponse, json } from './router.ts';

interface ClientError {
  statusCode: number;
  message: string;
  issues?: readonly { path: string; message: string }[];
  headers?: Record<string, string>;
}

function asClientError(error: unknown): ClientError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { statusCode } = error as { statusCode?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  return error as unknown as ClientError;
}

export function apiErrorHandler({ logger }: { logger: Log }): MiddlewareObj<unknown, ApiResponse> {
  return {
    onError: async function apiErrorHandlerOnError(request) {
      const error = request.error;
      const clientError = asClientError(error);
      const requestId = (request.context as { awsRequestId?: string }).awsRequestId;
      if (clientError) {
        logger.info('Request refused', { statusCode: clientError.statusCode, message: clientError.message });
        request.response = json(
          clientError.statusCode,
          {
            message: clientError.message,
            ...(clientError.issues && clientError.issues.length > 0 ? { issues: clientError.issues } : {}),
          },
          clientError.headers ?? {},
        );
        return;
      }
      logger.error('Request failed', { error });
      request.response = json(500, { message: 'Internal error.', requestId });
    },
  };
}
