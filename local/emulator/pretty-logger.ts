/**
 * The local runtime's logger: the same Powertools log items as in Lambda, printed as one
 * readable, coloured line per event instead of JSON (`KEYLESS_LOG_FORMAT=pretty`, the default of
 * `npm start`). It lives here, never in a Lambda bundle; the local platform hands it to the handler
 * factories.
 */
import { Logger, type LogItem, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { createLogger, loggerOptions, redactSecrets } from '#shared/observability.ts';

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

/** The logger the local runtime gives a function: pretty with KEYLESS_LOG_FORMAT=pretty, JSON otherwise. */
export function createLocalLogger(serviceName: string): Logger {
  return process.env.KEYLESS_LOG_FORMAT === 'pretty'
    ? new PrettyLogger(loggerOptions(serviceName))
    : createLogger(serviceName);
}
