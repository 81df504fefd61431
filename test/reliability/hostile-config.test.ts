/**
 * Hostile provider configs (docs/architecture.md §6, invariant 8): generated keyless.config.json
 * contents — any JSON, and valid configs with one field broken — are either accepted or refused
 * with a ProviderConfigError that names a path; nothing else is ever thrown, and an accepted
 * config's permissions go through the checks without throwing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  readTemplateHistory,
  resolveTemplateVersion,
  TemplateHistoryError,
} from '#shared/customer-template/version-history.ts';
import { templateContentRecord } from '#shared/customer-template/versions.ts';
import { permissionChecksOf } from '#shared/permissions/checks.ts';
import { isProbeAction } from '#shared/permissions/probe-catalogue.ts';
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
      statements: [
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeTable'],
          Resource: '*',
          Probes: [{ Action: 'dynamodb:DescribeTable' }],
        },
      ],
    },
  },
  deployment: { stage: 'prod' },
};

/** A valid config with the value at one path replaced. */
const broken = fc
  .record({
    path: fc.constantFrom(
      ['providerName'],
      ['customerRoleNamePrefix'],
      ['permissions'],
      ['permissions', 'ongoing'],
      ['permissions', 'ongoing', 'statements'],
      ['permissions', 'ongoing', 'statements', 0],
      ['permissions', 'ongoing', 'statements', 0, 'Action'],
      ['permissions', 'ongoing', 'statements', 0, 'Resource'],
      // Probes (docs/architecture.md §9.4): an unknown action, a resource, a second probe, the list.
      ['permissions', 'ongoing', 'statements', 1, 'Probes'],
      ['permissions', 'ongoing', 'statements', 1, 'Probes', 0],
      ['permissions', 'ongoing', 'statements', 1, 'Probes', 0, 'Action'],
      ['permissions', 'ongoing', 'statements', 1, 'Probes', 0, 'Resource'],
      ['permissions', 'ongoing', 'statements', 1, 'Probes', 1],
      ['permissions', 'ongoing', 'statements', 0, 'Probes'],
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
        // What ships: every probe of an accepted config is one Keyless knows how to make.
        if (errors.length === 0)
          for (const check of permissionChecksOf(config.permissions.ongoing))
            if (check.probe) expect(isProbeAction(check.action)).toBe(true);
      }),
      { numRuns: RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
    );
    figures.write();
  });
});

describe('the template version history under hostile input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-hostile-history-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = { providerName: 'Acme Analytics' };
  const record = templateContentRecord(config, 1, '2026-12-01');
  /** A valid history with one field of its first version replaced (or the file garbled). */
  const brokenHistory = fc.oneof(
    fc
      .record({
        field: fc.constantFrom(...Object.keys(record), '__proto__'),
        value: fc.oneof(wrongType, fc.string({ maxLength: 40 }), fc.integer()),
      })
      .map(({ field, value }) => JSON.stringify({ versions: [{ ...record, [field]: value }] })),
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? ''),
    fc.string({ maxLength: 200 }),
  );

  it(`reads or refuses ${RUNS} generated history files with TemplateHistoryError, and under CI never writes one`, () => {
    fc.assert(
      fc.property(brokenHistory, (text) => {
        figures.add('hostileCases');
        const file = join(dir, 'keyless.template-versions.json');
        writeFileSync(file, text);
        try {
          readTemplateHistory(file);
        } catch (error) {
          expect(error).toBeInstanceOf(TemplateHistoryError);
          expect((error as Error).message).toMatch(
            /keyless\.template-versions\.json.*(Restore it|restore it)/s,
          );
          return;
        }
        try {
          resolveTemplateVersion({ config, file, mode: 'check' });
        } catch (error) {
          expect(error).toBeInstanceOf(TemplateHistoryError);
        }
        expect(readFileSync(file, 'utf8')).toBe(text);
      }),
      { numRuns: RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
    );
    figures.write();
  });
});
