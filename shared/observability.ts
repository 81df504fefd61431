/**
 * The Powertools logger and metrics, configured once per function from the standard
 * POWERTOOLS_* environment (service name, log level, metrics namespace).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { Metrics } from '@aws-lambda-powertools/metrics';

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
    // Lets each handler's `correlationIdPath` (a JMESPath expression) pick its correlation id.
    correlationIdSearchFn: search,
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
