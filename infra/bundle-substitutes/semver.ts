/**
 * What the function bundles load for `semver` (infra/constructs/bundle-options.ts). Its only callers
 * there, the X-Ray SDK (`patchers/aws_p`, for the AWS SDK v2's version) and `cls-hooked` (for Node's),
 * both under the Powertools tracer, call `semver.gte` on two release versions; `require('semver')`
 * loads every function, range and class of the library, about 28 KB of each bundle
 * (docs/architecture.md §8). The bundle cannot load semver's own `gte` instead: the alias replaces
 * every `semver/…` path too. test/infra/bundle-substitutes.test.ts holds this to semver's answers.
 */

/** `major.minor.patch` of a version (a leading `v` and build metadata ignored), and its prerelease. */
function parse(version: string): { release: number[]; prerelease: string | undefined } {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(version.trim());
  if (!match) throw new TypeError(`Invalid Version: ${version}`);
  return { release: match.slice(1, 4).map(Number), prerelease: match[4] };
}

/**
 * Whether `a` is the same as or later than `b`. A prerelease is below its release; two prereleases
 * of one release compare identifier by identifier, numbers numerically and below words (semver §11).
 */
export function gte(a: string, b: string): boolean {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) {
    const [m, n] = [x.release[i] ?? 0, y.release[i] ?? 0];
    if (m !== n) return m > n;
  }
  if (x.prerelease === undefined || y.prerelease === undefined) return x.prerelease === undefined;
  const [p, q] = [x.prerelease.split('.'), y.prerelease.split('.')];
  for (let i = 0; i < Math.max(p.length, q.length); i++) {
    const [s, t] = [p[i], q[i]];
    if (s === undefined || t === undefined) return s !== undefined;
    if (s === t) continue;
    const [sn, tn] = [/^\d+$/.test(s), /^\d+$/.test(t)];
    if (sn && tn) return Number(s) > Number(t);
    if (sn !== tn) return tn;
    return s > t;
  }
  return true;
}
