/** The default logger: one JSON line per event on stdout/stderr, at or above a level. */
import type { BrokerLogger } from './types.ts';

const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function createConsoleLogger(service: string, level: LogLevel = 'INFO'): BrokerLogger {
  const threshold = LEVELS.indexOf(level);
  const log =
    (at: Exclude<LogLevel, 'SILENT'>) =>
    (message: string, ...attributes: Record<string, unknown>[]) => {
      if (LEVELS.indexOf(at) < threshold) return;
      const fields = Object.assign({}, ...attributes);
      const line = JSON.stringify({
        level: at,
        message,
        service,
        timestamp: new Date().toISOString(),
        ...fields,
      });
      if (at === 'WARN' || at === 'ERROR') console.error(line);
      else console.log(line);
    };
  return { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}

/** A level name from the environment, or the default. */
export function logLevelOf(value: string | undefined, fallback: LogLevel = 'INFO'): LogLevel {
  const upper = value?.toUpperCase();
  return LEVELS.find((level) => level === upper) ?? fallback;
}
