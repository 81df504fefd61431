/**
 * The Powertools logger and metrics, configured once per function from the standard
 * POWERTOOLS_* environment (service name, log level, metrics namespace).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

/**
 * Attribute names whose values are credentials (an AssumeRole result, a legacy key, a secret).
 * Whatever object reaches the logger, these values are printed as `[redacted]`.
 */
const SECRET_ATTRIBUTES = new Set(['secretaccesskey', 'sessiontoken', 'secretstring', 'secretbinary']);

/** Powertools `jsonReplacerFn`: redacts credential values at any depth of a log item. */
export function redactSecrets(key: string, value: unknown): unknown {
  return value !== undefined && SECRET_ATTRIBUTES.has(key.toLowerCase()) ? '[redacted]' : value;
}

/** The options every Keyless logger is built with (also the local runtime's pretty one). */
export function loggerOptions(serviceName: string) {
  return {
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    jsonReplacerFn: redactSecrets,
  };
}

/** Where in an event a value is: property names and array indexes, outermost first. */
export type EventPath = readonly (string | number)[];

function valueAt(event: unknown, path: EventPath): unknown {
  let value = event;
  for (const step of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

/**
 * A middy middleware that sets the invocation's correlation id (the logger's `correlation_id`) to the
 * first non-empty string at one of `paths` of the event, as it arrives, before any validation. Used
 * after `injectLambdaContext(logger, { resetKeys: true })`, which clears it when the invocation ends.
 * Plain paths rather than Powertools' JMESPath search, which would add its 23 KB interpreter to every
 * bundle (docs/architecture.md §9, *Bundles*).
 */
export function correlationIdFrom(logger: Logger, ...paths: EventPath[]): MiddlewareObj {
  return {
    before(request) {
      for (const path of paths) {
        const value = valueAt(request.event, path);
        if (typeof value === 'string' && value) {
          logger.setCorrelationId(value);
          return;
        }
      }
    },
  };
}

export function createLogger(serviceName: string): Logger {
  return new Logger(loggerOptions(serviceName));
}

/** Powertools' notice for an invocation that emitted no metric: routine here, so it is logged at DEBUG. */
const NO_METRICS_NOTICE = 'No application metrics to publish';

export function createMetrics(serviceName: string, logger: Logger = createLogger(serviceName)): Metrics {
  // The metrics' own messages go through the function's logger (JSON in Lambda, pretty locally),
  // filtered by log level like every other line.
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Keyless',
    serviceName,
    logger: {
      trace: (...args: unknown[]) => logger.trace(...(args as [string])),
      debug: (...args: unknown[]) => logger.debug(...(args as [string])),
      info: (...args: unknown[]) => logger.info(...(args as [string])),
      error: (...args: unknown[]) => logger.error(...(args as [string])),
      warn: (...args: unknown[]) =>
        String(args[0]).startsWith(NO_METRICS_NOTICE)
          ? logger.debug(...(args as [string]))
          : logger.warn(...(args as [string])),
    },
  });
}
