/** Command-line options of `npm run bench`. */
import { parseArgs } from 'node:util';

export const SCENARIOS = [
  'coldStart',
  'reminder',
  'vending',
  'singleFlight',
  'revocation',
  'pipeline',
  'permissionCheck',
  'organizationRollout',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  /** The smaller sizes: the whole run in under two minutes on 2 cores. */
  quick: boolean;
  /** The scenarios to run; the others keep their figures from the previous results.json. */
  only: readonly ScenarioName[];
  /** Let the measured processes' own logs through (they are discarded otherwise). */
  verbose: boolean;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      `Usage: npm run bench -- [--quick] [--only <scenario>[,<scenario>…]] [--verbose]\n` +
        `  scenarios: ${SCENARIOS.join(', ')}\n` +
        '  --quick  smaller sizes (under two minutes on 2 cores); the sizes are printed with the results\n' +
        '  --only   run only these scenarios; the others keep their figures in bench/results.json\n' +
        "  --verbose  show the measured processes' own logs (handlers, broker)",
    );
    process.exit(0);
  }
  const only = (values.only ?? []).flatMap((value) => value.split(','));
  for (const name of only)
    if (!SCENARIOS.includes(name as ScenarioName))
      throw new Error(`Unknown scenario "${name}": choose from ${SCENARIOS.join(', ')}.`);
  return {
    quick: values.quick,
    only: only.length ? (only as ScenarioName[]) : SCENARIOS,
    verbose: values.verbose,
  };
}
