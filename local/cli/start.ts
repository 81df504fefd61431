/**
 * `npm start [-- --fresh] [-- --port 4577]` (also `keyless start`): runs all of Keyless on this
 * machine (see system.ts) until Ctrl-C. Data lives under `.keyless/` between runs; `--fresh` starts empty.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const START_OPTIONS = {
  fresh: { type: 'boolean', default: false },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  'in-memory': { type: 'boolean', default: false },
  'dynamodb-endpoint': { type: 'string' },
  'table-name': { type: 'string' },
  'no-schedules': { type: 'boolean', default: false },
} as const;

export interface StartValues {
  fresh?: boolean;
  port?: string;
  'data-dir'?: string;
  'in-memory'?: boolean;
  'dynamodb-endpoint'?: string;
  'table-name'?: string;
  'no-schedules'?: boolean;
}

/** Starts the local system and keeps it running until SIGINT or SIGTERM; exits 1 if it cannot start. */
export async function startLocal(values: StartValues): Promise<void> {
  // Pretty, one-line logs for people; the handlers keep Powertools JSON in Lambda. Set before the
  // functions' modules load, as their loggers and metrics read them once.
  process.env.KEYLESS_LOG_FORMAT ??= 'pretty';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

  const { FUNCTION_NAMES } = await import('#shared/wiring/function-catalogue.ts');
  const { startLocalSystem } = await import('../emulator/system.ts');
  const { loadProviderConfig, providerConfigPath } = await import('#shared/provider-config/load.ts');
  const { assertPermissions } = await import('#shared/provider-config/policy-checks.ts');
  const { describeRecorded, providerTemplateVersion } = await import(
    '#shared/customer-template/version-history.ts'
  );

  try {
    // The provider's own name and permissions, checked as a synth checks them.
    const configFile = providerConfigPath();
    const provider = loadProviderConfig(configFile);
    await assertPermissions(provider, { file: configFile });
    // The template's version, recorded beside the config when the permissions changed.
    const templateVersion = providerTemplateVersion(provider, configFile, process.env);
    const recorded = describeRecorded(templateVersion);
    if (recorded) console.log(recorded);
    const system = await startLocalSystem({
      provider: { ...provider, templateVersion },
      // Its reserved concurrencies, enforced as deployed.
      deployment: provider.deployment,
      ...(values.port === undefined ? {} : { port: Number(values.port) }),
      dataDir: values['in-memory'] ? null : (values['data-dir'] ?? '.keyless'),
      fresh: values.fresh,
      ...(values['dynamodb-endpoint'] ? { dynamoDbEndpoint: values['dynamodb-endpoint'] } : {}),
      ...(values['table-name'] ? { tableName: values['table-name'] } : {}),
      schedules: !values['no-schedules'],
    });
    const info = system.info();
    const missing = FUNCTION_NAMES.filter((name) => !info.functions.includes(name));
    console.log(
      [
        '',
        `Keyless is running locally at ${info.endpoint}`,
        `  table ${info.table} (${system.tableOutcome}), bus ${info.eventBus}, topic ${info.registrationTopicArn}`,
        `  customer template v${info.templateVersion} at ${info.templateUrl}`,
        `  functions: ${info.functions.join(', ') || '(none yet)'}${missing.length ? `  — not built yet: ${missing.join(', ')}` : ''}`,
        `  provider account ${info.providerAccountId}; unrecognised keys act as ${info.providerRoleArn}`,
        '',
        `  export AWS_ENDPOINT_URL=${info.endpoint} AWS_REGION=${info.region} AWS_DEFAULT_REGION=${info.region} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`,
        `  curl -s -X POST ${info.endpoint}/setups -d '{"customerId":"acme"}'`,
        `  npm run customer -- deploy --launch-url '<launchUrl>' --account 111122223333`,
        '',
        'Ctrl-C stops.',
        '',
      ].join('\n'),
    );
    // A machine-readable line for tools that start the system (tests, the demo).
    if (process.env.KEYLESS_READY_LINE) console.log(`KEYLESS_READY ${JSON.stringify(info)}`);
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await system.stop();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: START_OPTIONS, strict: true });
  await startLocal(values);
}
