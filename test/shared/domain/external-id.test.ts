import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { externalIdCustomerPart, generateExternalId } from '#shared/domain/external-id.ts';
import { EXTERNAL_ID_PATTERN } from '#shared/domain/sts-limits.ts';
import { RandomnessUnavailableError } from '#shared/errors.ts';

describe('generateExternalId', () => {
  it('has the form <service>-<customer part>-<32 hex> for a tame customer id', () => {
    expect(generateExternalId('acme-corp')).toMatch(/^keyless-acme-corp-[0-9a-f]{32}$/);
  });

  it('carries 128 bits from the random source', () => {
    const bytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const id = generateExternalId('acme', { randomSource: () => bytes });
    expect(id).toBe('keyless-acme-00112233445566778899aabbccddeeff');
  });

  it('is always valid for STS, whatever the customer id', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), (customerId) => {
        const id = generateExternalId(customerId);
        expect(id).toMatch(EXTERNAL_ID_PATTERN);
        expect(id.length).toBeLessThanOrEqual(1224);
      }),
      { numRuns: 2000 },
    );
  });

  it('never repeats across 100,000 draws, even for one customer', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(generateExternalId(i % 2 ? 'acme' : 'Ünïcode customer/ä'));
    expect(seen.size).toBe(100_000);
  });

  it('hashes customer ids that are not already tame, so distinct ids stay distinct', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(externalIdCustomerPart(a)).not.toBe(externalIdCustomerPart(b));
      }),
    );
    expect(externalIdCustomerPart('Acme Corp')).toMatch(/^h[0-9a-f]{16}$/);
    expect(externalIdCustomerPart('a'.repeat(40))).toMatch(/^h[0-9a-f]{16}$/);
  });

  it('throws when secure randomness fails, with no fallback', () => {
    const failing = () => {
      throw new Error('entropy source unavailable');
    };
    expect(() => generateExternalId('acme', { randomSource: failing })).toThrow(RandomnessUnavailableError);
    expect(() => generateExternalId('acme', { randomSource: () => Buffer.alloc(4) })).toThrow(
      RandomnessUnavailableError,
    );
  });
});
