/**
 * The bundles' stand-ins (infra/bundle-substitutes/) answer as the libraries they replace, for the
 * inputs their callers pass: the X-Ray SDK and cls-hooked compare release versions with `gte`.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { gte } from '#infra/bundle-substitutes/semver.ts';

/** The library itself (a devDependency; it ships no types). */
const semver = createRequire(import.meta.url)('semver') as { gte(a: string, b: string): boolean };

const VERSIONS = [
  '0.0.0',
  '1.0.0',
  '1.0.1',
  '1.1.0',
  '2.0.0',
  '8.0.0',
  '10.17.0',
  '22.12.0',
  '22.9.1',
  'v22.12.0',
  '2.1001.0',
  '2.999.0',
  '1.0.0-alpha',
  '1.0.0-alpha.1',
  '1.0.0-alpha.beta',
  '1.0.0-beta',
  '1.0.0-beta.2',
  '1.0.0-beta.11',
  '1.0.0-rc.1',
  '1.0.0+build.5',
  '23.0.0-nightly20241001',
];

describe('the semver stand-in', () => {
  it('answers gte as semver does for every pair of releases and prereleases', () => {
    const pairs = VERSIONS.flatMap((a) => VERSIONS.map((b) => [a, b] as const));
    const disagreements = pairs.filter(([a, b]) => gte(a, b) !== semver.gte(a, b));
    expect(disagreements).toEqual([]);
  });

  it('refuses what is not a version, as semver does', () => {
    expect(() => gte('not-a-version', '1.0.0')).toThrow(TypeError);
    expect(() => semver.gte('not-a-version', '1.0.0')).toThrow(TypeError);
  });
});
