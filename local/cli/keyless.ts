/**
 * `keyless`: the one command-line tool for running and operating Keyless (package.json "bin";
 * `npx keyless …`, `npm run keyless -- …`; the `customer`, `template`, `legacy`, `invoke` and `demo`
 * npm scripts are aliases of its subcommands). Built on commander: `--help` on every command, and
 * a bad or missing argument is one error line plus the usage, exit code 2, never a stack trace;
 * a command that fails for another reason prints its message and exits 1 (docs/architecture.md §8).
 *
 * Each command loads what it runs only when it runs, so `--help` stays quick.
 */
import { pathToFileURL } from 'node:url';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  ACCOUNT_ID_MESSAGE,
  ACCOUNT_ID_PATTERN,
  ORGANIZATION_TARGET_PATTERN,
} from '#shared/domain/identifiers.ts';
import { FUNCTION_NAMES } from '#shared/wiring/function-catalogue.ts';
// messageOf shows zod's issues: English, which zod/mini does not load by itself.
import '#shared/zod-locale.ts';
import { TAMPERS, type Tamper } from '../emulator/simulated-stack.ts';

/** Where the CLI reads and writes, so tests run it in-process. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
}

/** A failure the user can act on: printed as it is, exit code 1. */
export class CliUserError extends Error {
  override readonly name = 'CliUserError';
}

/** How a command ended: an exit code, or `running` for one that keeps the process alive (start, demo). */
type Outcome = number | 'running';

/** The exit code of bad usage (unknown flag, missing or invalid argument), as POSIX utilities use it. */
export const USAGE_EXIT_CODE = 2;

function accountId(value: string): string {
  if (!ACCOUNT_ID_PATTERN.test(value)) throw new InvalidArgumentError(`${ACCOUNT_ID_MESSAGE}.`);
  return value;
}

/** A comma-separated list of IAM actions (`service:Action`); empty for none. */
function actionList(value: string): string[] {
  const actions = value
    .split(',')
    .map((action) => action.trim())
    .filter(Boolean);
  const bad = actions.find((action) => !/^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(action));
  if (bad !== undefined)
    throw new InvalidArgumentError(`"${bad}" is not an IAM action written service:Action.`);
  return actions;
}

/** DynamoDB actions only: what a table's resource-based policy takes. */
function dynamoDbActionList(value: string): string[] {
  const actions = actionList(value);
  const bad = actions.find((action) => !/^dynamodb:[A-Za-z*]+$/.test(action));
  if (bad !== undefined)
    throw new InvalidArgumentError(
      `"${bad}" is not a DynamoDB action: a table's policy takes dynamodb:… only.`,
    );
  return actions;
}

function tableName(value: string): string {
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(value))
    throw new InvalidArgumentError('A table name is 3–255 of A–Z, a–z, 0–9, _, . and -.');
  return value;
}

function roleName(value: string): string {
  if (!/^[\w+=,.@-]{1,64}$/.test(value))
    throw new InvalidArgumentError('A role name is 1–64 of letters, digits and +=,.@_-.');
  return value;
}

function regionName(value: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(value))
    throw new InvalidArgumentError('A region is written like us-east-1.');
  return value;
}

function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600)
    throw new InvalidArgumentError('must be a whole number of seconds, 1–3600.');
  return seconds;
}

/** A whole number in [min, max], for counts and days. */
const wholeNumber = (min: number, max: number, what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`must be a whole number of ${what}, ${min}–${max}.`);
  return n;
};

function organizationId(value: string): string {
  if (!/^o-[a-z0-9]{10,32}$/.test(value))
    throw new InvalidArgumentError(
      'must be an AWS Organizations id: o- and 10–32 lower-case letters or digits.',
    );
  return value;
}

const ORGANIZATION_TARGET_MESSAGE =
  'a root id (r- and 4–32 lower-case letters or digits) or an OU id (ou-<root part>-<8–32 more>)';

/** One root or OU id, or `root` (the organization's root, whatever its id). */
function organizationParent(value: string): string {
  if (value !== 'root' && !ORGANIZATION_TARGET_PATTERN.test(value))
    throw new InvalidArgumentError(`must be 'root' or ${ORGANIZATION_TARGET_MESSAGE}.`);
  return value;
}

/** An OU id, as Organizations writes it. */
function organizationalUnitId(value: string): string {
  if (!value.startsWith('ou-') || !ORGANIZATION_TARGET_PATTERN.test(value))
    throw new InvalidArgumentError('must be an OU id: ou-<root part>-<8–32 lower-case letters or digits>.');
  return value;
}

/** StackSets' deployment targets: 1–50 comma-separated root or OU ids (CreateStackInstances takes 50). */
function organizationTargets(value: string): string[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const bad = ids.find((id) => !ORGANIZATION_TARGET_PATTERN.test(id));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not ${ORGANIZATION_TARGET_MESSAGE}.`);
  if (ids.length < 1 || ids.length > 50) throw new InvalidArgumentError('must name 1–50 root or OU ids.');
  return ids;
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('must be a port number, 0–65535 (0: any free one).');
  return port;
}

function httpUrl(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new InvalidArgumentError('must be an http(s) URL, such as the ApiUrl output of the stack.');
  return value;
}

const localEndpoint = (env: CliIo['env']) =>
  env.KEYLESS_ENDPOINT ?? `http://127.0.0.1:${env.KEYLESS_PORT ?? '4577'}`;

/** The message of an error a command threw, in one piece and without a stack. */
function messageOf(error: unknown): string {
  if (error && typeof error === 'object' && 'issues' in error && Array.isArray(error.issues)) {
    // A zod error: one `path: message` per issue.
    return (error.issues as { path: PropertyKey[]; message: string }[])
      .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/fetch failed|ECONNREFUSED/.test(message))
    return 'The local system is not running at that endpoint: start it with npm start (or keyless start).';
  return message;
}

function fullName(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent)
    names.unshift(current.name());
  return names.join(' ');
}

/** Every command of the tree, the program first. */
export function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

export function buildProgram(io: CliIo, done: (outcome: Outcome) => void): Command {
  const program = new Command('keyless')
    .description(
      'Run and operate Keyless: the local system, simulated customer accounts, templates, legacy keys.',
    )
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showSuggestionAfterError()
    .helpCommand(false);

  program
    .command('start')
    .description('Run all of Keyless on this machine until Ctrl-C (the same as npm start).')
    .option('--fresh', 'start with an empty table')
    .option('--port <port>', 'the port of the local endpoint (default 4577, KEYLESS_PORT)')
    .option('--data-dir <dir>', 'where data is kept between runs (default .keyless)')
    .option('--in-memory', 'keep no data on disk')
    .option('--dynamodb-endpoint <url>', 'use a DynamoDB Local that is already running')
    .option('--table-name <name>', 'the table to use there')
    .option('--no-schedules', 'do not run the daily schedules')
    .action(async (options) => {
      const { startLocal } = await import('./start.ts');
      await startLocal({
        fresh: Boolean(options.fresh),
        'in-memory': Boolean(options.inMemory),
        'no-schedules': options.schedules === false,
        ...(options.port ? { port: options.port } : {}),
        ...(options.dataDir ? { 'data-dir': options.dataDir } : {}),
        ...(options.dynamodbEndpoint ? { 'dynamodb-endpoint': options.dynamodbEndpoint } : {}),
        ...(options.tableName ? { 'table-name': options.tableName } : {}),
      });
      done('running');
    });

  program
    .command('demo')
    .description(
      'Tell the whole Keyless story against a fresh local system; exits 0 when every step happened.',
    )
    .option('--verbose', 'show the functions’ logs')
    .action(async () => {
      // The demo reads --verbose from the process arguments and exits on its own.
      await import('./demo.ts');
      done('running');
    });

  const customer = program
    .command('customer')
    .description('A simulated customer AWS account against the running local system.');
  const stateDir = new Option('--state-dir <dir>', 'where simulated stacks are remembered').default(
    '.keyless/customer-stacks',
  );
  const simulatedAccounts = async (options: { stateDir: string; serviceTimeout?: number }) => {
    const { createSimulatedAccounts } = await import('../emulator/simulated-stack.ts');
    return createSimulatedAccounts({
      endpoint: localEndpoint(io.env),
      stateDir: options.stateDir,
      ...(options.serviceTimeout ? { serviceTimeoutSeconds: options.serviceTimeout } : {}),
    });
  };
  const report = (outcome: {
    status: string;
    reason?: string;
    events: string[];
    stack?: { stackName: string; stackId: string; roleArn: string };
  }): number => {
    for (const event of outcome.events) io.out(`  ${event}\n`);
    io.out(`${outcome.reason ? `${outcome.status}: ${outcome.reason}` : outcome.status}\n`);
    if (outcome.stack)
      io.out(
        `  stack ${outcome.stack.stackName} (${outcome.stack.stackId}), role ${outcome.stack.roleArn}\n`,
      );
    return outcome.status.endsWith('COMPLETE') && !outcome.status.includes('ROLLBACK') ? 0 : 1;
  };
  customer
    .command('deploy')
    .description('Launch the customer stack from a quick-create link (the launchUrl of POST /setups).')
    .requiredOption('--launch-url <url>', 'the launchUrl from POST /setups')
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .addOption(
      new Option(
        '--tamper <kind>',
        `get it wrong on purpose: ${Object.entries(TAMPERS)
          .map(([kind, what]) => `${kind} (${what})`)
          .join('; ')}`,
      ).choices(Object.keys(TAMPERS)),
    )
    .option('--service-timeout <seconds>', "override the template's ServiceTimeout", positiveSeconds)
    .option(
      '--deny-actions <actions>',
      'deploy into an account whose service control policy denies these actions (comma-separated)',
      actionList,
    )
    .addOption(stateDir)
    .action(async (options) => {
      const accounts = await simulatedAccounts(options);
      done(
        report(
          await accounts.deploy({
            launchUrl: options.launchUrl,
            accountId: options.account,
            tamper: options.tamper as Tamper | undefined,
            denyActions: options.denyActions as string[] | undefined,
          }),
        ),
      );
    });
  customer
    .command('create-role')
    .description(
      "Create the provider's role in the account without CloudFormation, and print its ARN (for POST /setups/{setupId}/registrations).",
    )
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .requiredOption('--external-id <id>', 'the External ID of the setup')
    .option('--customer <id>', 'the customer id, for the role tag', 'customer')
    .option('--role-name <name>', "the role's name (default: the template's)")
    .addOption(
      new Option('--tamper <kind>', 'get it wrong on purpose').choices([
        'no-external-id',
        'wrong-principal',
        'validator-only',
      ]),
    )
    .addOption(stateDir)
    .action(async (options) => {
      const accounts = await simulatedAccounts(options);
      const arn = await accounts.createRole({
        accountId: options.account,
        externalId: options.externalId,
        customerId: options.customer,
        roleName: options.roleName,
        tamper: options.tamper as Tamper | undefined,
      });
      io.out(`${arn}\n`);
      done(0);
    });
  customer
    .command('set-scp')
    .description("Change the account's service control policy: deny these actions ('' removes the SCP).")
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .requiredOption('--deny-actions <actions>', "comma-separated IAM actions, or '' for none", actionList)
    .addOption(stateDir)
    .action(async (options) => {
      const accounts = await simulatedAccounts(options);
      const actions = options.denyActions as string[];
      await accounts.setScp(options.account, actions);
      io.out(
        actions.length > 0
          ? `Account ${options.account}: its SCP denies ${actions.join(', ')}.\n`
          : `Account ${options.account}: no SCP.\n`,
      );
      done(0);
    });
  customer
    .command('set-rcp')
    .description(
      "Change the account's resource control policy: deny these actions on its resources, to every principal ('' removes the RCP).",
    )
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .requiredOption(
      '--deny-actions <actions>',
      "comma-separated IAM actions of services RCPs apply to (dynamodb, secretsmanager, s3, …), or '' for none",
      actionList,
    )
    .addOption(stateDir)
    .action(async (options) => {
      const accounts = await simulatedAccounts(options);
      const actions = options.denyActions as string[];
      await accounts.setRcp(options.account, actions);
      io.out(
        actions.length > 0
          ? `Account ${options.account}: its RCP denies ${actions.join(', ')}.\n`
          : `Account ${options.account}: no RCP.\n`,
      );
      done(0);
    });
  customer
    .command('put-table')
    .description(
      "Put a DynamoDB table in the account whose resource-based policy denies these actions (to --deny-role, or to every principal); '' for no policy.",
    )
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .requiredOption('--table <name>', 'the table name (3–255 of A–Z a–z 0–9 _ . -)', tableName)
    .requiredOption(
      '--deny-actions <actions>',
      "comma-separated DynamoDB actions (dynamodb:DescribeTable, …), or '' for none",
      dynamoDbActionList,
    )
    .option(
      '--deny-role <name>',
      'the role of the account the policy denies (default: every principal)',
      roleName,
    )
    .option('--region <region>', 'the region of the table', regionName, 'us-east-1')
    .addOption(stateDir)
    .action(async (options, command: Command) => {
      const actions = options.denyActions as string[];
      if (options.denyRole && actions.length === 0)
        command.error('error: --deny-role needs --deny-actions: a policy that denies nothing names no role', {
          exitCode: USAGE_EXIT_CODE,
          code: 'keyless.missingArgument',
        });
      const accounts = await simulatedAccounts(options);
      const arn = await accounts.putTable({
        accountId: options.account,
        region: options.region,
        table: options.table,
        denyActions: actions,
        denyRole: options.denyRole,
      });
      io.out(
        actions.length > 0
          ? `${arn}: its policy denies ${actions.join(', ')} to ${options.denyRole ? `role ${options.denyRole}` : 'every principal'}.\n`
          : `${arn}: no resource-based policy.\n`,
      );
      done(0);
    });
  customer
    .command('delete-table')
    .description('Delete a table put with put-table.')
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .requiredOption('--table <name>', 'the table name', tableName)
    .option('--region <region>', 'the region of the table', regionName, 'us-east-1')
    .addOption(stateDir)
    .action(async (options) => {
      const accounts = await simulatedAccounts(options);
      await accounts.deleteTable({
        accountId: options.account,
        region: options.region,
        table: options.table,
      });
      io.out(`Table ${options.table} of ${options.account} (${options.region}) deleted.\n`);
      done(0);
    });
  customer
    .command('set-org')
    .description(
      "Put the account in an AWS organization ('none' takes it out): what DescribeOrganization answers.",
    )
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .requiredOption('--org <id>', "the organization id (o-…), or 'none'")
    .addOption(stateDir)
    .action(async (options) => {
      const organizationId = options.org === 'none' ? undefined : String(options.org);
      await (await simulatedAccounts(options)).setOrganization(options.account, organizationId);
      io.out(
        `Account ${options.account}: ${organizationId ? `member of ${organizationId}` : 'in no organization'}.\n`,
      );
      done(0);
    });
  // A simulated service-managed StackSet with automatic deployment (docs/architecture.md §9.7).
  const simulatedStackSet = async (options: { stateDir: string }) => {
    const { createSimulatedStackSet } = await import('../emulator/simulated-stackset.ts');
    return createSimulatedStackSet({ endpoint: localEndpoint(io.env), stateDir: options.stateDir });
  };
  const reportInstances = (
    instances: { accountId: string; outcome: { status: string; reason?: string } }[],
  ) => {
    for (const { accountId, outcome } of instances)
      io.out(`  ${accountId}  ${outcome.reason ? `${outcome.status}: ${outcome.reason}` : outcome.status}\n`);
    return instances.every(({ outcome }) => outcome.status.endsWith('_COMPLETE')) ? 0 : 1;
  };
  customer
    .command('deploy-org')
    .description(
      'Create a service-managed StackSet with automatic deployment: new simulated member accounts of the ' +
        'organization in the targeted OUs, each with its stack instance (5 at a time); the management account ' +
        'by the launch link.',
    )
    .requiredOption('--launch-url <url>', 'the launchUrl of the organization setup (POST /setups)')
    .requiredOption('--org <id>', 'the organization id (o-…)', organizationId)
    .option('--accounts <n>', 'how many member accounts', wholeNumber(1, 1000, 'accounts'), 20)
    .option('--management-account <id>', "the organization's management account, 12 digits", accountId)
    .option(
      '--ou <ids>',
      "the deployment targets, comma-separated OU ids (the setup's organizationalUnitIds; default: the root, every account); the new accounts are placed in them",
      organizationTargets,
    )
    .addOption(stateDir)
    .action(async (options) => {
      const stackSets = await simulatedStackSet(options);
      const { management, instances, record } = await stackSets.deployOrganization({
        launchUrl: options.launchUrl,
        organizationId: options.org,
        accountCount: options.accounts,
        managementAccountId: options.managementAccount,
        organizationalUnitIds: options.ou as string[] | undefined,
      });
      if (management) io.out(`management account ${options.managementAccount}: ${management.status}\n`);
      io.out(`StackSet instances in ${options.org} (targets ${record.targets?.join(', ')}):\n`);
      const failed = reportInstances(instances);
      const complete = instances.filter(({ outcome }) => outcome.status === 'CREATE_COMPLETE').length;
      io.out(`${complete} of ${instances.length} instances CREATE_COMPLETE.\n`);
      done(failed || (management && management.status !== 'CREATE_COMPLETE') ? 1 : 0);
    });
  customer
    .command('org-join')
    .description(
      'An account joins the organization, in its root: when the StackSet targets the root, automatic deployment ' +
        'gives it its stack instance, which calls back.',
    )
    .requiredOption('--org <id>', 'the organization id (o-…)', organizationId)
    .requiredOption('--account <id>', 'the joining account, 12 digits', accountId)
    .option(
      '--days-later <days>',
      "move the local system's clock on first (the setup's 7 days long past)",
      wholeNumber(1, 3660, 'days'),
    )
    .addOption(stateDir)
    .action(async (options) => {
      const stackSets = await simulatedStackSet(options);
      if (options.daysLater)
        io.out(`(the local system's clock now reads ${await stackSets.advanceClock(options.daysLater)})\n`);
      const joined = await stackSets.join({ organizationId: options.org, accountId: options.account });
      if (joined) done(report(joined.outcome));
      else {
        io.out(
          `Account ${options.account} joined ${options.org} in its root, which the StackSet does not target: no stack instance (org-move puts it in an OU).\n`,
        );
        done(0);
      }
    });
  customer
    .command('org-create-ou')
    .description(
      'Create an organizational unit (AWS generates its id; here it is given) under the root or another OU.',
    )
    .requiredOption('--org <id>', 'the organization id (o-…)', organizationId)
    .requiredOption(
      '--ou <id>',
      'the new OU id, ou-<root part>-<8–32 lower-case letters or digits>',
      organizationalUnitId,
    )
    .option('--parent <id>', "the parent: 'root' or an OU id", organizationParent, 'root')
    .addOption(stateDir)
    .action(async (options) => {
      const stackSets = await simulatedStackSet(options);
      const tree = stackSets.createOrganizationalUnit({
        organizationId: options.org,
        ouId: options.ou,
        parentId: options.parent,
      });
      io.out(`${options.ou} created in ${options.org} under ${tree.organizationalUnits[options.ou]}.\n`);
      done(0);
    });
  customer
    .command('org-move')
    .description(
      'Move an account to another OU (Organizations MoveAccount): out of every targeted OU, StackSets deletes its ' +
        'instance (that connection REVOKED); into a targeted OU, StackSets deploys one.',
    )
    .requiredOption('--org <id>', 'the organization id (o-…)', organizationId)
    .requiredOption('--account <id>', 'the account, 12 digits', accountId)
    .requiredOption('--ou <id>', "the destination: an OU id, or 'root'", organizationParent)
    .addOption(stateDir)
    .action(async (options) => {
      const stackSets = await simulatedStackSet(options);
      const { from, to, effect } = await stackSets.move({
        organizationId: options.org,
        accountId: options.account,
        destination: options.ou,
      });
      io.out(`Account ${options.account} moved from ${from} to ${to}.\n`);
      if (effect.kind === 'none') {
        io.out(`No stack instance change: ${effect.why}.\n`);
        done(0);
      } else {
        io.out(
          effect.kind === 'deleted'
            ? 'Out of every targeted OU: StackSets deletes its stack instance.\n'
            : 'Under a targeted OU: StackSets deploys its stack instance.\n',
        );
        done(report(effect.instance.outcome));
      }
    });
  customer
    .command('org-leave')
    .description(
      'An account leaves the organization: StackSets deletes its instance, whose Delete revokes its connection.',
    )
    .requiredOption('--org <id>', 'the organization id (o-…)', organizationId)
    .requiredOption('--account <id>', 'the leaving account, 12 digits', accountId)
    .addOption(stateDir)
    .action(async (options) => {
      const stackSets = await simulatedStackSet(options);
      const deleted = await stackSets.leave({ organizationId: options.org, accountId: options.account });
      if (!deleted) {
        io.out(`Account ${options.account} left ${options.org}; it had no stack instance.\n`);
        done(0);
      } else done(report(deleted.outcome));
    });
  customer
    .command('delete-org')
    .description("Delete the StackSet's instances (each Delete revokes its connection), then the StackSet.")
    .requiredOption('--org <id>', 'the organization id (o-…)', organizationId)
    .addOption(stateDir)
    .action(async (options) => {
      const stackSets = await simulatedStackSet(options);
      const { instances, stackSetDeleted, record } = await stackSets.deleteOrganization({
        organizationId: options.org,
      });
      const failed = reportInstances(instances);
      io.out(
        stackSetDeleted
          ? `StackSet ${record.stackSetName} deleted (${instances.length} instances).\n`
          : `StackSet ${record.stackSetName} kept: ${record.instances.length} instances could not be deleted.\n`,
      );
      if (record.managementAccountId)
        io.out(
          `The management account ${record.managementAccountId} keeps its own stack (not the StackSet's).\n`,
        );
      done(failed);
    });
  customer
    .command('edit-role-policy')
    .description("A customer's hand edit: remove actions from the policies of the account's roles.")
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .requiredOption('--remove-actions <actions>', 'comma-separated IAM actions', actionList)
    .addOption(stateDir)
    .action(async (options) => {
      const accounts = await simulatedAccounts(options);
      const edited = await accounts.editRolePolicy(options.account, options.removeActions as string[]);
      io.out(
        edited.length > 0
          ? `Removed ${(options.removeActions as string[]).join(', ')} from ${edited.join(', ')}.\n`
          : `Account ${options.account} has no role.\n`,
      );
      done(edited.length > 0 ? 0 : 1);
    });
  customer
    .command('update')
    .description("Update the customer's stack to the latest published template, as the customer would.")
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .requiredOption('--stack <name>', 'the stack name (keyless-<customer>)')
    .option('--template-url <url>', 'another template than the latest one')
    .addOption(stateDir)
    .action(async (options) => {
      const accounts = await simulatedAccounts(options);
      done(
        report(
          await accounts.update({
            accountId: options.account,
            stackName: options.stack,
            ...(options.templateUrl ? { templateUrl: options.templateUrl } : {}),
          }),
        ),
      );
    });
  customer
    .command('delete')
    .description("Delete the customer's stack: Keyless revokes the connection.")
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .requiredOption('--stack <name>', 'the stack name (keyless-<customer>)')
    .addOption(stateDir)
    .action(async (options) => {
      const accounts = await simulatedAccounts(options);
      done(report(await accounts.remove({ accountId: options.account, stackName: options.stack })));
    });

  const terraform = customer
    .command('terraform')
    .description(
      'Play a generated Terraform module (npm run -s template -- --format terraform) in the account.',
    );
  const variable = (value: string, previous: Record<string, string> = {}) => {
    const match = /^([A-Za-z_][A-Za-z0-9_-]*)=([\s\S]*)$/.exec(value);
    if (!match) throw new InvalidArgumentError('must be written key=value.');
    return { ...previous, [match[1] ?? '']: match[2] ?? '' };
  };
  const simulatedTerraform = async (options: { stateDir: string }) => {
    const { createSimulatedTerraform } = await import('../emulator/simulated-terraform.ts');
    return createSimulatedTerraform({ endpoint: localEndpoint(io.env), stateDir: options.stateDir });
  };
  const reportTerraform = (outcome: { status: string; reason?: string; events: string[] }): number => {
    for (const event of outcome.events) io.out(`  ${event}\n`);
    io.out(`${outcome.reason ? `${outcome.status}: ${outcome.reason}` : outcome.status}\n`);
    return outcome.status.endsWith('COMPLETE') ? 0 : 1;
  };
  terraform
    .command('apply')
    .description('terraform apply: create or update the role, then register it (the tf create or update).')
    .requiredOption('--dir <dir>', 'the module directory')
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .option(
      '--var <key=value>',
      'a module variable, repeatable (customer_id, external_id, setup_id…)',
      variable,
    )
    .addOption(stateDir)
    .action(async (options) => {
      const player = await simulatedTerraform(options);
      done(
        reportTerraform(
          await player.apply({ dir: options.dir, accountId: options.account, variables: options.var ?? {} }),
        ),
      );
    });
  terraform
    .command('destroy')
    .description('terraform destroy: revoke the registration (the tf delete), then delete the role.')
    .requiredOption('--dir <dir>', 'the module directory')
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .option('--var <key=value>', 'accepted as terraform destroy takes it; the state decides', variable)
    .addOption(stateDir)
    .action(async (options) => {
      const player = await simulatedTerraform(options);
      done(reportTerraform(await player.destroy({ dir: options.dir, accountId: options.account })));
    });

  program
    .command('invoke')
    .description('Invoke one function of the running local system with an event file, and print its answer.')
    .addArgument(new Argument('<function>', 'the function (its folder name)').choices(FUNCTION_NAMES))
    .argument('<event-file>', 'a JSON event, e.g. events/local/scheduled-migration-reminder.json')
    .action(async (name: string, eventFile: string) => {
      const { invokeLocalFunction } = await import('./invoke.ts');
      done(await invokeLocalFunction({ name, eventFile, endpoint: localEndpoint(io.env), io }));
    });

  program
    .command('console')
    .description(
      'Open the operator console in the browser: customers, connections, history, migration, actions. ' +
        'Without --endpoint it shows the local system.',
    )
    .option(
      '--endpoint <url>',
      "a deployed setup API (the stack's ApiUrl); calls are signed with SigV4",
      httpUrl,
    )
    .option('--profile <name>', 'the AWS profile to sign with (default: the standard credential chain)')
    .option('--region <region>', "the API's region, when its URL does not say")
    .option('--port <port>', 'the port on 127.0.0.1 (default: any free one)', portNumber)
    .option('--no-open', 'print the URL only, do not open a browser')
    .action(async (options) => {
      const { runConsole } = await import('../console/console.ts');
      await runConsole({
        localEndpoint: localEndpoint(io.env),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.profile ? { profile: options.profile } : {}),
        ...(options.region ? { region: options.region } : {}),
        ...(options.port !== undefined ? { port: options.port } : {}),
        open: options.open !== false,
        env: io.env,
        out: io.out,
      });
      done('running');
    });

  program
    .command('template')
    .description(
      'Print the customer-facing CloudFormation template (stdout holds the template only), ' +
        'or write the Terraform module of the same role (--format terraform --out <dir>).',
    )
    .addOption(
      new Option('--format <format>', 'json, yaml or terraform')
        .choices(['json', 'yaml', 'terraform'])
        .default('json'),
    )
    .option('--account <id>', 'the provider account the template trusts', accountId)
    .option('--stage <stage>', 'the deployment stage')
    .option('--regions <regions>', 'comma-separated regions customers launch in')
    .addOption(
      new Option('--partition <partition>', 'the AWS partition').choices(['aws', 'aws-cn', 'aws-us-gov']),
    )
    .option('--out <path>', 'write the template to a file instead (a directory for terraform)')
    .action(async (options) => {
      const [{ renderTemplate }, { loadProviderConfig, providerConfigPath }, { assertPermissions }] =
        await Promise.all([
          import('#shared/customer-template/cli.ts'),
          import('#shared/provider-config/load.ts'),
          import('#shared/provider-config/policy-checks.ts'),
        ]);
      const file = providerConfigPath(io.env);
      const provider = loadProviderConfig(file);
      await assertPermissions(provider, { file });
      const argv = Object.entries({
        format: options.format,
        account: options.account,
        stage: options.stage,
        regions: options.regions,
        partition: options.partition,
        out: options.out,
      }).flatMap(([flag, value]) => (value === undefined ? [] : [`--${flag}`, String(value)]));
      io.out(renderTemplate(argv, io.env, provider));
      done(0);
    });

  const legacy = program
    .command('legacy')
    .description('Customers still on access keys: register one, retire its secret after the migration.');
  legacy
    .command('register')
    .description(
      'Register a connection on access keys. Keys from LEGACY_ACCESS_KEY_ID / LEGACY_SECRET_ACCESS_KEY ' +
        '(/ LEGACY_SESSION_TOKEN) or --keys-from-stdin, never the command line. TABLE_NAME names the table.',
    )
    .requiredOption('--customer <id>', 'the customer id')
    .requiredOption('--account <id>', 'the customer account, 12 digits', accountId)
    .option('--created-at <time>', 'when the customer went on keys (ISO time)')
    .option('--kms-key-id <key>', 'the KMS key of the secret')
    .option('--keys-from-stdin', 'read {"accessKeyId", "secretAccessKey"} as JSON from standard input')
    .action(async (options) => {
      const argv = [
        'register',
        '--customer',
        options.customer,
        '--account',
        options.account,
        ...(options.createdAt ? ['--created-at', options.createdAt] : []),
        ...(options.kmsKeyId ? ['--kms-key-id', options.kmsKeyId] : []),
        ...(options.keysFromStdin ? ['--keys-from-stdin'] : []),
      ];
      done(await runLegacy(argv));
    });
  legacy
    .command('retire')
    .description(
      "Schedule the deletion of a migrated connection's legacy secret (recoverable for 7 days); " +
        'refused while the connection still uses the keys.',
    )
    .option('--customer <id>', 'the customer id (with --account)')
    .option('--account <id>', 'the customer account, 12 digits (with --customer)', accountId)
    .option('--secret-ref <arn>', 'one secret, by its ARN, instead')
    .action(async (options, command: Command) => {
      const byConnection = options.customer && options.account;
      if (!byConnection && !options.secretRef)
        command.error('error: give --customer and --account, or --secret-ref', {
          exitCode: USAGE_EXIT_CODE,
          code: 'keyless.missingArgument',
        });
      done(
        await runLegacy(
          byConnection
            ? ['retire', '--customer', options.customer, '--account', options.account]
            : ['retire', '--secret-ref', options.secretRef],
        ),
      );
    });
  const runLegacy = async (argv: string[]): Promise<number> => {
    const { runLegacyCli } = await import('#shared/legacy/cli.ts');
    await runLegacyCli(argv, { env: io.env, readStdin: io.readStdin, print: (line) => io.out(`${line}\n`) });
    return 0;
  };

  const config = program
    .command('config')
    .description('The provider config, keyless.config.json (or KEYLESS_CONFIG).');
  config
    .command('check')
    .description('Validate the provider config and its permissions (the same checks as a synth).')
    .action(async () => {
      const [{ loadProviderConfig, providerConfigPath }, { checkPermissions }] = await Promise.all([
        import('#shared/provider-config/load.ts'),
        import('#shared/provider-config/policy-checks.ts'),
      ]);
      const file = providerConfigPath(io.env);
      const provider = loadProviderConfig(file);
      const { errors, warnings } = await checkPermissions(provider);
      for (const warning of warnings) io.err(`Warning: ${warning}\n`);
      for (const error of errors) io.err(`Error: ${error}\n`);
      if (errors.length === 0) io.out(`${file}: valid (${provider.providerName}).\n`);
      done(errors.length === 0 ? 0 : 1);
    });
  config
    .command('schema')
    .description('Regenerate keyless.config.schema.json from the validating schema.')
    .action(async () => {
      const { writeFileSync } = await import('node:fs');
      const { providerConfigJsonSchema, SCHEMA_FILE } = await import('#shared/provider-config/cli.ts');
      writeFileSync(SCHEMA_FILE, providerConfigJsonSchema());
      io.out(`Wrote ${SCHEMA_FILE}.\n`);
      done(0);
    });

  // One line of usage after every usage error, naming the command that was misused.
  for (const command of allCommands(program)) {
    command.helpCommand(false);
    command.showHelpAfterError(`Usage: ${fullName(command)} ${command.usage()}  (--help for details)`);
  }
  return program;
}

/** Runs one command line; resolves to the exit code, or `running` while the command keeps going. */
export async function runKeyless(argv: readonly string[], io: CliIo): Promise<Outcome> {
  let outcome: Outcome = 0;
  const program = buildProgram(io, (result) => {
    outcome = result;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return outcome;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      // Everything else commander raises is bad usage (its message and usage line are already written).
      return USAGE_EXIT_CODE;
    }
    io.err(`keyless: ${messageOf(error)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outcome = await runKeyless(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    readStdin: async () => {
      let input = '';
      for await (const chunk of process.stdin) input += chunk;
      return input;
    },
  });
  // SDK clients keep sockets open for a while; a finished command exits at once.
  if (outcome !== 'running') process.exit(outcome);
}
