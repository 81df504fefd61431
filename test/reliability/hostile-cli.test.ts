/**
 * Hostile arguments to the customer-side CLI commands of issues 14 and 15 (`set-rcp`, `put-table`,
 * `delete-table`, `deploy-org --ou`, `org-create-ou`, `org-move`; docs/architecture.md §9.4, §9.7,
 * invariant 8): whatever is passed, the command never succeeds against no system, never prints a
 * stack trace, and says what is wrong. A malformed id or action list is refused as a usage error naming its flag, before any
 * call is made.
 */
import { createServer } from 'node:net';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, runKeyless, USAGE_EXIT_CODE } from '#local/cli/keyless.ts';
import { FUZZ_RUNS, FUZZ_SEED } from './support/settings.ts';

const RUNS = Math.max(100, Math.ceil(FUZZ_RUNS * 0.01));
const STACK_FRAME = /^ {4}at /m;

/** An endpoint where nothing listens: a port taken and released again. */
let endpoint: string;
beforeAll(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  endpoint = `http://127.0.0.1:${port}`;
});

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    env: { KEYLESS_ENDPOINT: endpoint },
    readStdin: async () => '',
  };
  const code = await runKeyless(['customer', ...argv], io);
  return { code, out, err };
}

const hostile = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    '',
    ' ',
    '-',
    '--help',
    'root; rm -rf /',
    '$(id)',
    '../../etc/passwd',
    'ou-init-'.padEnd(300, 'x'),
    'o-'.padEnd(300, 'a'),
    '1111222233334',
    '11112222333',
    'ou-INIT-Workloads',
    'r-',
    'dynamodb:DescribeTable,,',
    'dynamodb:*',
    'ssm:GetParameter',
    '\u0000',
    '🙂',
  ),
);
const account = fc.oneof(fc.constant('111122223333'), hostile);
const org = fc.oneof(fc.constant('o-acme000001'), hostile);

/** The commands and a hostile argument list for each, with the flag each hostile value went to. */
const invocations = fc.oneof(
  fc.tuple(account, hostile).map(([a, actions]) => ['set-rcp', '--account', a, '--deny-actions', actions]),
  fc.tuple(org, hostile).map(([o, ou]) => ['org-create-ou', '--org', o, '--ou', ou]),
  fc
    .tuple(account, hostile, hostile)
    .map(([a, table, actions]) => ['put-table', '--account', a, '--table', table, '--deny-actions', actions]),
  fc
    .tuple(account, hostile)
    .map(([a, role]) => [
      'put-table',
      '--account',
      a,
      '--table',
      'orders',
      '--deny-actions',
      'dynamodb:DescribeTable',
      '--deny-role',
      role,
    ]),
  fc.tuple(account, hostile).map(([a, table]) => ['delete-table', '--account', a, '--table', table]),
  fc.tuple(org, account, hostile).map(([o, a, ou]) => ['org-move', '--org', o, '--account', a, '--ou', ou]),
  fc
    .tuple(org, hostile)
    .map(([o, ou]) => [
      'deploy-org',
      '--launch-url',
      'https://console.aws.amazon.com/cloudformation/home#/stacks/quickcreate',
      '--org',
      o,
      '--accounts',
      '2',
      '--ou',
      ou,
    ]),
);

describe('hostile CLI arguments: organizations, resource control policies and table policies', () => {
  it('never succeed without a system, never print a stack trace, and always say why', async () => {
    let usageErrors = 0;
    await fc.assert(
      fc.asyncProperty(invocations, async (argv) => {
        const { code, out, err } = await run(argv);
        expect(code, argv.join(' ')).not.toBe(0);
        expect(`${out}${err}`).not.toMatch(STACK_FRAME);
        expect(err.trim().length, argv.join(' ')).toBeGreaterThan(0);
        if (code === USAGE_EXIT_CODE) usageErrors++;
      }),
      { numRuns: RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
    );
    // Most hostile values are malformed: refused before any call, as usage errors.
    expect(usageErrors).toBeGreaterThan(RUNS / 4);
  });

  it.each([
    [['set-rcp', '--account', '1111', '--deny-actions', 'dynamodb:DescribeTable'], /--account/],
    [['org-move', '--org', 'o-acme000001', '--account', '111122223333', '--ou', '$(id)'], /--ou/],
    [['org-create-ou', '--org', '../../etc', '--ou', 'ou-acme-workloads'], /--org/],
    [['put-table', '--account', '111122223333', '--table', '../x', '--deny-actions', ''], /--table/],
    [
      ['put-table', '--account', '111122223333', '--table', 'orders', '--deny-actions', 'ssm:GetParameter'],
      /--deny-actions/,
    ],
    [['delete-table', '--account', '111122223333', '--table', 'orders', '--region', 'mars'], /--region/],
    [
      [
        'put-table',
        '--account',
        '111122223333',
        '--table',
        'orders',
        '--deny-actions',
        '',
        '--deny-role',
        'Admin',
      ],
      /--deny-role/,
    ],
    [
      ['put-table', '--account', '111122223333', '--table', 'orders', '--deny-actions', 'dynamodb:Get2Item'],
      /--deny-actions/,
    ],
  ])('refuses %j as a usage error naming the flag', async (argv, flag) => {
    const { code, err } = await run(argv);
    expect(code).toBe(USAGE_EXIT_CODE);
    expect(err).toMatch(flag);
  });
});
