import { assertSourceIdentity, buildSessionName } from '@keyless/broker';
import { InvalidCredentialRequestError } from '@keyless/broker/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SESSION_NAME_PATTERN, toSessionNameChars } from '#shared/domain/sts-limits.ts';

describe('buildSessionName', () => {
  it('reads <service>-<customerId>-<unix time> for a tame customer id', () => {
    expect(buildSessionName('keyless', 'acme-corp', Date.parse('2026-03-01T12:00:00Z'))).toBe(
      'keyless-acme-corp-1772366400',
    );
  });

  it('is always valid for STS and keeps the whole unix time and the start of the customer id', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.date({
          min: new Date('2001-01-01T00:00:00Z'),
          max: new Date('2286-11-20T00:00:00Z'),
          noInvalidDate: true,
        }),
        (customerId, service, at) => {
          const name = buildSessionName(service, customerId, at);
          const unix = String(Math.floor(at.getTime() / 1000));
          expect(name).toMatch(SESSION_NAME_PATTERN);
          expect(name.length).toBeLessThanOrEqual(64);
          expect(name.endsWith(`-${unix}`)).toBe(true);
          const servicePart = toSessionNameChars(service).slice(0, 20);
          expect(name.startsWith(`${servicePart}-`)).toBe(true);
          const customerPart = name.slice(servicePart.length + 1, -unix.length - 1);
          const sanitised = toSessionNameChars(customerId).replaceAll(',', '-');
          const [plain = '', hash] = customerPart.split(',');
          expect(customerPart.length).toBeGreaterThan(0);
          expect(sanitised.startsWith(plain)).toBe(true);
          if (hash === undefined) expect(plain).toBe(customerId);
          else expect(hash).toMatch(/^[\w-]{8}$/);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('gives two customer ids two session names, however alike they sanitise (outside review, point 8)', () => {
    // The review's pair: ':' is not allowed in a session name, so both read "team-a" once sanitised.
    const at = Date.parse('2026-03-01T12:00:00Z');
    expect(buildSessionName('keyless', 'team:a', at)).not.toBe(buildSessionName('keyless', 'team-a', at));
    expect(buildSessionName('keyless', 'team-a', at)).toBe('keyless-team-a-1772366400');
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9][\w.@+=:-]{0,127}$/),
        fc.stringMatching(/^[A-Za-z0-9][\w.@+=:-]{0,127}$/),
        (a, b) => {
          fc.pre(a !== b);
          expect(buildSessionName('keyless-worker', a, at)).not.toBe(
            buildSessionName('keyless-worker', b, at),
          );
        },
      ),
      { numRuns: 5000 },
    );
    // Ids that differ only after the room runs out.
    const long = 'c'.repeat(100);
    expect(buildSessionName('keyless', `${long}1`, at)).not.toBe(buildSessionName('keyless', `${long}2`, at));
  });

  it('gives the customer id all the room the service and time leave, with the hash when it had to be cut', () => {
    const name = buildSessionName('keyless', 'c'.repeat(128), 1_772_366_400_000);
    expect(name).toHaveLength(64);
    expect(name).toMatch(new RegExp(`^keyless-${'c'.repeat(36)},[\\w-]{8}-1772366400$`));
    expect(buildSessionName('keyless', 'c'.repeat(45), 1_772_366_400_000)).toBe(
      `keyless-${'c'.repeat(45)}-1772366400`,
    );
  });
});

describe('assertSourceIdentity', () => {
  it('accepts a Lambda function name', () => {
    expect(assertSourceIdentity('keyless-example-worker_v2')).toBe('keyless-example-worker_v2');
  });

  it.each(['x', 'a'.repeat(65), 'has space', 'aws:reserved', 'naïve'])('refuses %s', (value) => {
    expect(() => assertSourceIdentity(value)).toThrow(InvalidCredentialRequestError);
  });
});
