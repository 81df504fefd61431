/**
 * `npm run legacy -- register --customer <id> --account <12 digits> [--created-at <ISO>] [--kms-key-id <id>]`
 * `npm run legacy -- retire --customer <id> --account <12 digits>` (after the migration)
 * `npm run legacy -- retire --secret-ref <ARN>`
 *
 * Registers a customer still on access keys (migration phase 2), or retires its secret once it
 * has migrated to the role. The keys are read from LEGACY_ACCESS_KEY_ID / LEGACY_SECRET_ACCESS_KEY
 * (/ LEGACY_SESSION_TOKEN) or, with --keys-from-stdin, from a JSON object on standard input —
 * never from the command line, where they would end up in shell history and process listings.
 * TABLE_NAME names the Keyless table; AWS_ENDPOINT_URL points the SDK at the local runtime.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { documentClient } from '../clients/dynamodb.ts';
import { secretsManagerClient } from '../clients/secrets-manager.ts';
import { loadConfig } from '../config.ts';
import { createConnectionStore } from '../store/connection-store.ts';
import { registerLegacyConnection, retireLegacySecret } from './register-legacy-connection.ts';
import { retireMigratedLegacySecrets } from './retire-migrated-secrets.ts';

const USAGE = `Usage:
  npm run legacy -- register --customer <customerId> --account <accountId> [--created-at <ISO time>] [--kms-key-id <key>] [--keys-from-stdin]
      keys from LEGACY_ACCESS_KEY_ID, LEGACY_SECRET_ACCESS_KEY (and LEGACY_SESSION_TOKEN), or stdin JSON
  npm run legacy -- retire --customer <customerId> --account <accountId>
      once the customer's role is ACTIVE: schedules deletion of that connection's legacy secrets
  npm run legacy -- retire --secret-ref <secret ARN>`;

export interface CliIo {
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
  print: (line: string) => void;
}

export async function runLegacyCli(argv: readonly string[], io: CliIo): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: [...rest],
    options: {
      customer: { type: 'string' },
      account: { type: 'string' },
      'created-at': { type: 'string' },
      'kms-key-id': { type: 'string' },
      'keys-from-stdin': { type: 'boolean', default: false },
      'secret-ref': { type: 'string' },
    },
    strict: true,
  });

  if (command === 'register') {
    const keys = values['keys-from-stdin']
      ? parseStdinKeys(await io.readStdin())
      : {
          accessKeyId: io.env.LEGACY_ACCESS_KEY_ID,
          secretAccessKey: io.env.LEGACY_SECRET_ACCESS_KEY,
          ...(io.env.LEGACY_SESSION_TOKEN ? { sessionToken: io.env.LEGACY_SESSION_TOKEN } : {}),
        };
    const { TABLE_NAME } = loadConfig(['TABLE_NAME'], io.env);
    const connection = await registerLegacyConnection(
      {
        customerId: values.customer ?? '',
        accountId: values.account ?? '',
        keys: keys as { accessKeyId: string; secretAccessKey: string },
        ...(values['created-at'] ? { createdAt: values['created-at'] } : {}),
      },
      {
        store: createConnectionStore({ client: documentClient, tableName: TABLE_NAME }),
        secretsManager: secretsManagerClient,
        ...(values['kms-key-id'] ? { kmsKeyId: values['kms-key-id'] } : {}),
      },
    );
    const { customerId, accountId, status, secretRef, createdAt } = connection;
    io.print(
      JSON.stringify({ registered: { customerId, accountId, status, secretRef, createdAt } }, null, 2),
    );
    return;
  }
  if (command === 'retire' && values.customer && values.account) {
    const { TABLE_NAME } = loadConfig(['TABLE_NAME'], io.env);
    const retired = await retireMigratedLegacySecrets({
      store: createConnectionStore({ client: documentClient, tableName: TABLE_NAME }),
      secretsManager: secretsManagerClient,
      customerId: values.customer,
      accountId: values.account,
    });
    io.print(JSON.stringify({ retired }));
    return;
  }
  if (command === 'retire' && values['secret-ref']) {
    await retireLegacySecret({ secretsManager: secretsManagerClient, secretRef: values['secret-ref'] });
    io.print(JSON.stringify({ retired: values['secret-ref'] }));
    return;
  }
  throw new Error(USAGE);
}

/** The keys as JSON on stdin; a parse error would quote the input, so it is replaced by a plain one. */
function parseStdinKeys(input: string): unknown {
  try {
    return JSON.parse(input);
  } catch {
    throw new Error('Standard input is not a JSON object { "accessKeyId": …, "secretAccessKey": … }.');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runLegacyCli(process.argv.slice(2), {
    env: process.env,
    readStdin: async () => {
      let input = '';
      for await (const chunk of process.stdin) input += chunk;
      return input;
    },
    print: (line) => process.stdout.write(`${line}\n`),
  }).catch((error: unknown) => {
    // Messages name fields, never key values (see register-legacy-connection.ts).
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
