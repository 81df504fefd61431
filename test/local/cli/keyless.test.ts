/**
 * The `keyless` CLI: every command and subcommand answers --help, refuses an unknown flag and a
 * missing or invalid argument with one error line and its usage (exit code 2), and a failing
 * command says why (exit code 1) — never with a stack trace. In-process for the whole tree, and
 * through the real executable and an npm alias once each.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCommands, buildProgram, type CliIo, runKeyless, USAGE_EXIT_CODE } from '#local/cli/keyless.ts';

const STACK_FRAME = /^ {4}at /m;

async function run(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    env: { ...env },
    readStdin: async () => '',
  };
  const code = await runKeyless(argv, io);
  return { code, out, err };
}

/** Valid arguments for each command, so a test can add exactly one defect. Every command must be here. */
const VALID: Record<string, string[]> = {
  keyless: [],
  'keyless start': [],
  'keyless demo': [],
  'keyless customer': [],
  'keyless customer deploy': ['--launch-url', 'https://example.com/#/stacks', '--account', '111122223333'],
  'keyless customer update': ['--account', '111122223333', '--stack', 'keyless-acme'],
  'keyless customer delete': ['--account', '111122223333', '--stack', 'keyless-acme'],
  'keyless customer create-role': ['--account', '111122223333', '--external-id', 'keyless-acme-x'],
  'keyless customer set-scp': ['--account', '111122223333', '--deny-actions', 'ce:GetCostAndUsage'],
  'keyless customer set-rcp': ['--account', '111122223333', '--deny-actions', 'dynamodb:DescribeTable'],
  'keyless customer put-table': [
    '--account',
    '111122223333',
    '--table',
    'orders',
    '--deny-actions',
    'dynamodb:DescribeTable',
  ],
  'keyless customer delete-table': ['--account', '111122223333', '--table', 'orders'],
  'keyless customer set-org': ['--account', '111122223333', '--org', 'o-acme000001'],
  'keyless customer deploy-org': ['--launch-url', 'https://example.com/#/stacks', '--org', 'o-acme000001'],
  'keyless customer org-join': ['--org', 'o-acme000001', '--account', '111122223333'],
  'keyless customer org-leave': ['--org', 'o-acme000001', '--account', '111122223333'],
  'keyless customer org-create-ou': ['--org', 'o-acme000001', '--ou', 'ou-acme-workloads'],
  'keyless customer org-move': ['--org', 'o-acme000001', '--account', '111122223333', '--ou', 'root'],
  'keyless customer delete-org': ['--org', 'o-acme000001'],
  'keyless customer edit-role-policy': [
    '--account',
    '111122223333',
    '--remove-actions',
    'ce:GetCostAndUsage',
  ],
  'keyless customer terraform': [],
  'keyless customer terraform apply': ['--dir', 'terraform/keyless', '--account', '111122223333'],
  'keyless customer terraform destroy': ['--dir', 'terraform/keyless', '--account', '111122223333'],
  'keyless invoke': ['setup-api', 'events/none.json'],
  'keyless template': [],
  'keyless legacy': [],
  'keyless legacy register': ['--customer', 'acme', '--account', '111122223333'],
  'keyless legacy retire': ['--secret-ref', 'arn:aws:secretsmanager:us-east-1:1:secret:x'],
  'keyless config': [],
  'keyless config check': [],
  'keyless config schema': [],
  'keyless console': ['--no-open'],
};

/** What each command needs; given nothing, it must say what is missing. */
const MISSING: Record<string, RegExp> = {
  keyless: /Usage: keyless/,
  'keyless customer': /Usage: keyless customer/,
  'keyless customer deploy': /required option '--launch-url <url>'/,
  'keyless customer update': /required option '--account <id>'/,
  'keyless customer delete': /required option '--account <id>'/,
  'keyless customer create-role': /required option '--account <id>'/,
  'keyless customer set-scp': /required option '--account <id>'/,
  'keyless customer set-rcp': /required option '--account <id>'/,
  'keyless customer put-table': /required option '--account <id>'/,
  'keyless customer delete-table': /required option '--account <id>'/,
  'keyless customer set-org': /required option '--account <id>'/,
  'keyless customer deploy-org': /required option '--launch-url <url>'/,
  'keyless customer org-join': /required option '--org <id>'/,
  'keyless customer org-leave': /required option '--org <id>'/,
  'keyless customer org-create-ou': /required option '--org <id>'/,
  'keyless customer org-move': /required option '--org <id>'/,
  'keyless customer delete-org': /required option '--org <id>'/,
  'keyless customer edit-role-policy': /required option '--account <id>'/,
  'keyless customer terraform': /Usage: keyless customer terraform/,
  'keyless customer terraform apply': /required option '--dir <dir>'/,
  'keyless customer terraform destroy': /required option '--dir <dir>'/,
  'keyless invoke': /missing required argument 'function'/,
  'keyless legacy': /Usage: keyless legacy/,
  'keyless legacy register': /required option '--customer <id>'/,
  'keyless legacy retire': /give --customer and --account, or --secret-ref/,
  'keyless config': /Usage: keyless config/,
};

const commandPaths = allCommands(buildProgram({} as CliIo, () => {})).map((command) => {
  const names: string[] = [];
  for (let current: typeof command | null = command; current; current = current.parent)
    names.unshift(current.name());
  return names.join(' ');
});
const commandUsage = Object.fromEntries(
  allCommands(buildProgram({} as CliIo, () => {})).map((command, i) => [commandPaths[i], command.usage()]),
);
const argsOf = (commandPath: string) => commandPath.split(' ').slice(1);

describe('keyless', () => {
  it('has valid arguments listed here for every command it has', () => {
    expect(commandPaths.sort()).toEqual(Object.keys(VALID).sort());
  });

  it.each(commandPaths)('%s --help prints its usage and exits 0', async (commandPath) => {
    const { code, out, err } = await run([...argsOf(commandPath), '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^Usage: ${commandPath} `));
    expect(err).toBe('');
    expect(out).not.toMatch(STACK_FRAME);
  });

  it.each(commandPaths)('%s --no-such-flag is one error line and the usage, exit 2', async (commandPath) => {
    const { code, out, err } = await run([
      ...argsOf(commandPath),
      ...(VALID[commandPath] ?? []),
      '--no-such-flag',
    ]);
    expect(code).toBe(USAGE_EXIT_CODE);
    expect(err.trimEnd().split('\n')).toEqual([
      "error: unknown option '--no-such-flag'",
      `Usage: ${commandPath} ${commandUsage[commandPath]}  (--help for details)`,
    ]);
    expect(out).toBe('');
    expect(`${out}${err}`).not.toMatch(STACK_FRAME);
  });

  it.each(Object.entries(MISSING))(
    '%s without its arguments says what is missing, exit 2',
    async (commandPath, says) => {
      const { code, out, err } = await run(argsOf(commandPath));
      expect(code).toBe(USAGE_EXIT_CODE);
      expect(`${out}${err}`).toMatch(says);
      expect(`${out}${err}`).not.toMatch(STACK_FRAME);
    },
  );

  it.each([
    [
      ['customer', 'deploy', '--launch-url', 'https://x', '--account', '12'],
      /'--account <id>' argument '12' is invalid/,
    ],
    [
      ['customer', 'deploy', ...(VALID['keyless customer deploy'] ?? []), '--tamper', 'nope'],
      /Allowed choices are/,
    ],
    [
      ['customer', 'deploy', ...(VALID['keyless customer deploy'] ?? []), '--service-timeout', '0'],
      /seconds/,
    ],
    [
      ['customer', 'set-scp', '--account', '111122223333', '--deny-actions', 'not an action'],
      /"not an action" is not an IAM action written service:Action/,
    ],
    [
      ['customer', 'deploy-org', ...(VALID['keyless customer deploy-org'] ?? []), '--accounts', '0'],
      /must be a whole number of accounts, 1–1000/,
    ],
    [['customer', 'delete-org', '--org', 'acme'], /must be an AWS Organizations id/],
    [
      [
        'customer',
        'deploy-org',
        ...(VALID['keyless customer deploy-org'] ?? []),
        '--ou',
        'ou-acme-workloads,ou-x',
      ],
      /"ou-x" is not a root id \(r- and 4–32 lower-case letters or digits\) or an OU id/,
    ],
    [
      ['customer', 'org-move', '--org', 'o-acme000001', '--account', '111122223333', '--ou', 'Workloads'],
      /'--ou <id>' argument 'Workloads' is invalid. must be 'root' or a root id/,
    ],
    [['customer', 'org-create-ou', '--org', 'o-acme000001', '--ou', 'r-acme'], /must be an OU id/],
    [
      ['customer', 'org-join', ...(VALID['keyless customer org-join'] ?? []), '--days-later', '-3'],
      /must be a whole number of days/,
    ],
    [['invoke', 'no-such-function', 'events/x.json'], /Allowed choices are setup-api/],
    [['template', '--format', 'xml'], /Allowed choices are json, yaml, terraform/],
    [['console', '--port', '99999'], /must be a port number/],
    [['console', '--endpoint', 'ftp://api.example.com'], /must be an http\(s\) URL/],
    [
      [
        'customer',
        'terraform',
        'apply',
        ...(VALID['keyless customer terraform apply'] ?? []),
        '--var',
        'nokey',
      ],
      /must be written key=value/,
    ],
    [['customer', 'frobnicate'], /unknown command 'frobnicate'/],
  ])('refuses %j with exit 2', async (argv, says) => {
    const { code, err } = await run(argv);
    expect(code).toBe(USAGE_EXIT_CODE);
    expect(err).toMatch(says);
    expect(err).toMatch(/^Usage: keyless /m);
    expect(err).not.toMatch(STACK_FRAME);
  });

  it('says why a command failed, exit 1, without a stack trace', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'keyless-cli-'));
    const { code, out, err } = await run(
      [
        'customer',
        'delete',
        '--account',
        '111122223333',
        '--stack',
        'keyless-nobody',
        '--state-dir',
        stateDir,
      ],
      { KEYLESS_ENDPOINT: 'http://127.0.0.1:9' },
    );
    expect(code).toBe(1);
    expect(err).toMatch(/^keyless: No stack keyless-nobody in account 111122223333/);
    expect(`${out}${err}`).not.toMatch(STACK_FRAME);
  });
});

describe('the keyless executable and the npm aliases', () => {
  const root = path.resolve(import.meta.dirname, '../../..');
  const spawn = (command: string, args: string[]) =>
    spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('runs as the package bin: --help exits 0, a bad flag exits 2 with one error line and the usage', () => {
    const help = spawn(process.execPath, ['local/cli/keyless-bin.mjs', 'customer', 'update', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: keyless customer update /);
    const bad = spawn(process.execPath, ['local/cli/keyless-bin.mjs', 'invoke', '--nope']);
    expect(bad.status).toBe(USAGE_EXIT_CODE);
    expect(bad.stderr.trimEnd().split('\n')).toEqual([
      "error: unknown option '--nope'",
      expect.stringMatching(/^Usage: keyless invoke /),
    ]);
    expect(`${bad.stdout}${bad.stderr}${help.stderr}`).not.toMatch(STACK_FRAME);
  }, 30_000);

  it('keeps npm run customer as an alias of keyless customer', () => {
    const alias = spawn('npm', ['run', '-s', 'customer', '--', '--help']);
    expect(alias.status).toBe(0);
    expect(alias.stdout).toMatch(/^Usage: keyless customer /);
  }, 30_000);
});
