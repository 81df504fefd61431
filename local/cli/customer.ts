/**
 * `npm run customer -- deploy --launch-url '<url>' --account 111122223333 [--tamper no-external-id]`
 * `npm run customer -- delete --account 111122223333 --stack <stack name>`
 *
 * A simulated customer AWS account against the running local system (`npm start`).
 */

import { parseArgs } from 'node:util';
import { ACCOUNT_ID_PATTERN } from '#shared/domain/identifiers.ts';
import { createSimulatedAccounts, TAMPERS, type Tamper } from '../emulator/simulated-stack.ts';

const USAGE = [
  'Usage:',
  "  npm run customer -- deploy --launch-url '<launchUrl from POST /setups>' --account <12 digits> [--tamper <kind>] [--service-timeout <s>]",
  '  npm run customer -- delete --account <12 digits> --stack <stack name>',
  `Tamper kinds: ${Object.entries(TAMPERS)
    .map(([kind, what]) => `${kind} (${what})`)
    .join('; ')}`,
  'The local system is found at KEYLESS_ENDPOINT, or http://127.0.0.1:$KEYLESS_PORT (default 4577).',
].join('\n');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'launch-url': { type: 'string' },
    account: { type: 'string' },
    stack: { type: 'string' },
    tamper: { type: 'string' },
    'service-timeout': { type: 'string' },
    'state-dir': { type: 'string', default: '.keyless/customer-stacks' },
  },
});

async function main(): Promise<number> {
  const [command] = positionals;
  const endpoint = process.env.KEYLESS_ENDPOINT ?? `http://127.0.0.1:${process.env.KEYLESS_PORT ?? '4577'}`;
  const account = values.account ?? '';
  if (!ACCOUNT_ID_PATTERN.test(account))
    throw new Error(`--account must be a 12-digit account id.\n${USAGE}`);
  if (values.tamper !== undefined && !(values.tamper in TAMPERS))
    throw new Error(`Unknown --tamper.\n${USAGE}`);
  const accounts = createSimulatedAccounts({
    endpoint,
    stateDir: values['state-dir'],
    ...(values['service-timeout'] ? { serviceTimeoutSeconds: Number(values['service-timeout']) } : {}),
  });
  let outcome: Awaited<ReturnType<typeof accounts.deploy>>;
  if (command === 'deploy' && values['launch-url']) {
    outcome = await accounts.deploy({
      launchUrl: values['launch-url'],
      accountId: account,
      tamper: values.tamper as Tamper | undefined,
    });
  } else if (command === 'delete' && values.stack) {
    outcome = await accounts.remove({ accountId: account, stackName: values.stack });
  } else {
    throw new Error(USAGE);
  }
  for (const event of outcome.events) console.log(`  ${event}`);
  console.log(outcome.reason ? `${outcome.status}: ${outcome.reason}` : outcome.status);
  if (outcome.stack)
    console.log(
      `  stack ${outcome.stack.stackName} (${outcome.stack.stackId}), role ${outcome.stack.roleArn}`,
    );
  return outcome.status.endsWith('COMPLETE') ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(
      message.includes('fetch failed')
        ? `The local system is not running at that endpoint: start it with npm start.`
        : message,
    );
    process.exit(2);
  },
);
