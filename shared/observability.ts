/**
 * The Powertools logger and metrics, configured once per function from the standard
 * POWERTOOLS_* environment (service name, log level, metrics namespace).
 */
import { Logger, type LogItem, LogLevelThreshold } from '@aws-lambda-powertools/logger';
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

export function createLogger(serviceName: string): Logger {
  const options = {
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    jsonReplacerFn: redactSecrets,
    // Lets each handler's `correlationIdPath` (a JMESPath expression) pick its correlation id.
    correlationIdSearchFn: search,
  };
  // Local runtime only (see PrettyLogger below); in Lambda the variable is never set.
  return process.env.KEYLESS_LOG_FORMAT === 'pretty' ? new PrettyLogger(options) : new Logger(options);
}

/** Powertools' notice for an invocation that emitted no metric: routine here, so it is logged at DEBUG. */
const NO_METRICS_NOTICE = 'No application metrics to publish';

export function createMetrics(serviceName: string): Metrics {
  // The metrics' own messages go through the function's logger (JSON in Lambda, pretty locally),
  // filtered by log level like every other line.
  const logger = createLogger(serviceName);
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

/*
 * Local runtime only: with KEYLESS_LOG_FORMAT=pretty the same Powertools log items are printed as
 * one readable, coloured line per event instead of JSON. In Lambda the variable is never set.
 */

const PRETTY_SKIPPED_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
]);
const LEVEL_COLOURS: Record<string, string> = {
  TRACE: '90',
  DEBUG: '90',
  INFO: '36',
  WARN: '33',
  ERROR: '31',
  CRITICAL: '1;31',
};

const prettyValue = (value: unknown): string => {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (value && typeof value === 'object' && 'message' in value && 'name' in value) {
    return JSON.stringify(`${String(value.name)}: ${String(value.message)}`);
  }
  return JSON.stringify(value, redactSecrets) ?? String(value);
};

/** `12:00:01.123 INFO  registration-callback  Registered  customerId=acme accountId=…` */
export function formatPrettyLogLine(attributes: Record<string, unknown>, colour: boolean): string {
  const level = String(attributes.level ?? 'INFO');
  const time = String(attributes.timestamp ?? new Date().toISOString()).slice(11, 23);
  const paint = (code: string | undefined, text: string) =>
    colour && code ? `\u001b[${code}m${text}\u001b[0m` : text;
  const fields = Object.entries(attributes)
    .filter(([key, value]) => !PRETTY_SKIPPED_KEYS.has(key) && value !== undefined)
    .map(([key, value]) => `${paint('2', `${key}=`)}${prettyValue(redactSecrets(key, value))}`);
  return [
    paint('90', time),
    paint(LEVEL_COLOURS[level], level.padEnd(5)),
    paint('35', String(attributes.service ?? '')),
    String(attributes.message ?? ''),
    ...fields,
  ].join(' ');
}

/** A Powertools Logger that prints pretty lines (local runtime); child loggers inherit it. */
export class PrettyLogger extends Logger {
  protected override createLogger(options?: ConstructorParameters<typeof Logger>[0]): Logger {
    return new PrettyLogger(options);
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    const colour =
      process.env.NO_COLOR === undefined && (process.stdout.isTTY || process.env.FORCE_COLOR !== undefined);
    const line = formatPrettyLogLine(log.getAttributes() as Record<string, unknown>, colour);
    (logLevel >= LogLevelThreshold.WARN ? process.stderr : process.stdout).write(`${line}\n`);
  }
}
