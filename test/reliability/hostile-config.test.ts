/**
 * Hostile provider configs (docs/architecture.md §6, invariant 8): generated keyless.config.json
 * contents — any JSON, and valid configs with one field broken — are either accepted or refused
 * with a ProviderConfigError that names a path; nothing else is ever thrown, and an accepted
 * config's permissions go through the checks without throwing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProviderConfigError, parseProviderConfig } from '#shared/provider-config/load.ts';
import { checkPermissions } from '#shared/provider-config/policy-checks.ts';
import { createFigures } from './support/figures.ts';
import { wrongType } from './support/hostile.ts';
import { FUZZ_RUNS, FUZZ_SEED } from './support/settings.ts';

const figures = createFigures(import.meta.filename);
const RUNS = Math.max(200, Math.ceil(FUZZ_RUNS * 0.02));

const valid = {
  providerName: 'Acme Analytics',
  permissions: {
    ongoing: {
      managedPolicyArns: [],
      statements: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }],
    },
  },
  deployment: { stage: 'prod' },
};

/** A valid config with the value at one path replaced. */
const broken = fc
  .record({
    path: fc.constantFrom(
      ['providerName'],
      ['permissions'],
      ['permissions', 'ongoing'],
      ['permissions', 'ongoing', 'statements'],
      ['permissions', 'ongoing', 'statements', 0],
      ['permissions', 'ongoing', 'statements', 0, 'Action'],
      ['permissions', 'ongoing', 'statements', 0, 'Resource'],
      ['permissions', 'ongoing', 'managedPolicyArns'],
      ['deployment'],
      ['deployment', 'stage'],
      ['deployment', 'ingressRegions'],
      ['__proto__'],
    ),
    value: fc.oneof(wrongType, fc.string({ maxLength: 80 }), fc.constant(undefined)),
  })
  .map(({ path, value }) => {
    const config = structuredClone(valid) as Record<string, unknown>;
    let at: Record<string | number, unknown> = config;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    at[path.at(-1) as string | number] = value;
    // The wire form: JSON, so __proto__ arrives as an own key, as it would from the file.
    return JSON.parse(JSON.stringify(config) ?? 'null') as unknown;
  });

describe('the provider config under hostile input', () => {
  it(`accepts or refuses ${RUNS} generated configs with a named path, never throwing anything else`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(broken, fc.jsonValue({ maxDepth: 4 })), async (input) => {
        figures.add('hostileCases');
        let config: ReturnType<typeof parseProviderConfig> | undefined;
        try {
          config = parseProviderConfig(input);
        } catch (error) {
          expect(error).toBeInstanceOf(ProviderConfigError);
          const { problems } = error as ProviderConfigError;
          expect(problems.length).toBeGreaterThan(0);
          for (const problem of problems) expect(problem).toMatch(/^\S.*: \S/);
          return;
        }
        const { errors, warnings } = await checkPermissions(config);
        expect(Array.isArray(errors) && Array.isArray(warnings)).toBe(true);
      }),
      { numRuns: RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
    );
    figures.write();
  });
});
