import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createLocalLogger as createLogger,
  formatPrettyLogLine,
  PrettyLogger,
} from '#local/emulator/pretty-logger.ts';

describe('formatPrettyLogLine', () => {
  it('prints time, level, service and message, then the other keys as key=value', () => {
    // Prepare
    const attributes = {
      level: 'INFO',
      message: 'Connection registered',
      timestamp: '2026-11-23T12:00:01.123Z',
      service: 'registration-callback',
      cold_start: true,
      customerId: 'acme',
      reason: 'two words',
      detail: { version: 1 },
    };
    // Act
    const line = formatPrettyLogLine(attributes, false);
    // Assess
    expect(line).toBe(
      '12:00:01.123 INFO  registration-callback Connection registered customerId=acme reason="two words" detail={"version":1}',
    );
  });

  it('shows an error as its name and message, coloured red when colour is on', () => {
    const line = formatPrettyLogLine(
      {
        level: 'ERROR',
        message: 'failed',
        service: 's',
        error: { name: 'ConflictError', message: 'lost race', stack: 'x' },
      },
      true,
    );
    expect(line).toContain('\u001b[31mERROR\u001b[0m');
    expect(line).toContain('"ConflictError: lost race"');
    expect(line).not.toContain('stack');
  });
});

describe('createLogger', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('keeps Powertools JSON unless KEYLESS_LOG_FORMAT=pretty', () => {
    vi.stubEnv('KEYLESS_LOG_FORMAT', undefined);
    expect(createLogger('x')).not.toBeInstanceOf(PrettyLogger);
    vi.stubEnv('KEYLESS_LOG_FORMAT', 'pretty');
    expect(createLogger('x')).toBeInstanceOf(PrettyLogger);
  });

  it('writes one pretty line per event', () => {
    // Prepare
    vi.stubEnv('KEYLESS_LOG_FORMAT', 'pretty');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    vi.stubEnv('NO_COLOR', '1');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const logger = createLogger('role-validator');
    // Act
    logger.info('Role validated', { customerId: 'acme' });
    // Assess
    const lines = write.mock.calls.map(([chunk]) => String(chunk));
    expect(lines.filter((line) => line.includes('Role validated'))).toEqual([
      expect.stringMatching(
        /^\d\d:\d\d:\d\d\.\d{3} INFO {2}role-validator Role validated customerId=acme\n$/,
      ),
    ]);
  });
});

describe('formatPrettyLogLine redaction', () => {
  it('redacts credential values at any depth, as the JSON logger does', () => {
    const line = formatPrettyLogLine(
      {
        level: 'INFO',
        message: 'assumed',
        SecretAccessKey: 'canary-top-level',
        result: {
          Credentials: {
            AccessKeyId: 'ASIAEXAMPLE',
            SecretAccessKey: 'canary-nested',
            SessionToken: 'canary-token',
          },
        },
      },
      false,
    );
    expect(line).not.toMatch(/canary/);
    expect(line).toContain('ASIAEXAMPLE');
    expect(line).toContain('[redacted]');
  });
});
