/**
 * The whole of Keyless on one machine: DynamoDB Local with the table, the single local endpoint
 * (every AWS protocol Keyless uses), the functions running their real handlers, the event bus with
 * the CDK stack's rules and schedules, the registrations topic, the local STS and Secrets Manager.
 */

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { providerResourceNames, roleArn } from '#shared/customer-template/names.ts';
import {
  buildCustomerTemplate,
  registrationTopicArns,
  resolveCustomerTemplateConfig,
  trustedPrincipalArns,
} from '#shared/customer-template/template.ts';
import {
  type ProviderTemplateSettings,
  type ResolvedTemplateVersion,
  templateConfigOf,
} from '#shared/customer-template/version-history.ts';
import { unrecordedTemplateVersion } from '#shared/customer-template/versions.ts';
import { RULES } from '#shared/events/rules.ts';
import { DEFAULT_VALIDATOR_RESERVED_CONCURRENCY } from '#shared/onboarding/pending-caps.ts';
import { stackNamePrefixOf } from '#shared/onboarding/setups.ts';
import { permissionChecksOfTemplate } from '#shared/permissions/template-checks.ts';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '#shared/wiring/function-catalogue.ts';
import { sendJson } from './aws-protocol.ts';
import { createCustomerServices } from './customer-services.ts';
import { ensureTable, localDynamoDbClient, startDynamoDbLocal } from './dynamodb-local.ts';
import { startLocalEndpoint } from './endpoint.ts';
import { createLocalEventBus } from './event-bus.ts';
import { localHandlers } from './function-table.ts';
import { createLocalFunctions, type HandlerBuilder } from './functions.ts';
import { createLocalIam } from './iam.ts';
import { createLocalPlatform } from './platform.ts';
import { createLocalLogger as createLogger } from './pretty-logger.ts';
import { createCloudFormationResponses } from './response-receiver.ts';
import { createLocalSecrets } from './secrets.ts';
import { createLocalSns } from './sns.ts';
import { createLocalSts } from './sts.ts';

export const DEFAULT_PORT = 4577;
export const LOCAL_DEFAULTS = {
  region: 'us-east-1',
  providerAccountId: '999988887777',
  stage: 'local',
  tableName: 'keyless-local',
} as const;

export interface LocalSystemOptions {
  /** 0 picks a free port; default KEYLESS_PORT or 4577. */
  port?: number;
  /** Where DynamoDB data, roles and secrets persist; null keeps everything in memory. */
  dataDir?: string | null;
  fresh?: boolean;
  /** Use this DynamoDB (Local) instead of starting one. */
  dynamoDbEndpoint?: string;
  tableName?: string;
  region?: string;
  providerAccountId?: string;
  stage?: string;
  /**
   * The provider's name and permissions (keyless.config.json) and the template version its history
   * records; the template's built-in example, as version 1, without.
   */
  provider?: ProviderTemplateSettings & {
    templateVersion?: Pick<ResolvedTemplateVersion, 'version' | 'catalogue'>;
  };
  /** Stand-in handlers instead of the real function table (tests of the runtime itself). */
  handlers?: Record<string, HandlerBuilder>;
  /** Run the scheduled rules on their timers (default true). */
  schedules?: boolean;
  /**
   * The provider config's reserved concurrencies (its `deployment` settings), enforced as deployed:
   * an invocation beyond them is throttled. Defaults: the deployment settings' defaults.
   */
  deployment?: { callbackReservedConcurrency?: number; validatorReservedConcurrency?: number };
}

/** The deployment settings' defaults for the reserved concurrencies (infra/stacks/settings.ts). */
export const DEFAULT_RESERVED_CONCURRENCY = {
  callbackReservedConcurrency: 10,
  validatorReservedConcurrency: DEFAULT_VALIDATOR_RESERVED_CONCURRENCY,
} as const;

export interface LocalInfo {
  endpoint: string;
  region: string;
  providerAccountId: string;
  providerRoleArn: string;
  trustedPrincipalArns: string[];
  table: string;
  eventBus: string;
  eventBusArn: string;
  registrationTopicArn: string;
  templateUrl: string;
  templateVersion: number;
  responseOrigin: string;
  functions: string[];
  rules: { id: string; target: string; schedule?: string }[];
}

export type LocalSystem = Awaited<ReturnType<typeof startLocalSystem>>;

export async function startLocalSystem(options: LocalSystemOptions = {}) {
  const region = options.region ?? LOCAL_DEFAULTS.region;
  const providerAccountId = options.providerAccountId ?? LOCAL_DEFAULTS.providerAccountId;
  const stage = options.stage ?? LOCAL_DEFAULTS.stage;
  const tableName = options.tableName ?? LOCAL_DEFAULTS.tableName;
  const dataDir = options.dataDir === undefined ? '.keyless' : options.dataDir;
  const port = options.port ?? (process.env.KEYLESS_PORT ? Number(process.env.KEYLESS_PORT) : DEFAULT_PORT);
  const log = createLogger('keyless-local');

  if (dataDir) {
    if (options.fresh) rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
  }
  const dynamo = options.dynamoDbEndpoint
    ? undefined
    : await startDynamoDbLocal({
        ...(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {}),
        // A fixed DynamoDB Local port, for tools that want to reach it directly.
        ...(process.env.KEYLESS_DYNAMODB_PORT ? { port: Number(process.env.KEYLESS_DYNAMODB_PORT) } : {}),
      });
  const dynamoDbEndpoint = options.dynamoDbEndpoint ?? (dynamo?.endpoint as string);
  const tableOutcome = await ensureTable(localDynamoDbClient(dynamoDbEndpoint, region), tableName);

  const templateConfig = {
    providerAccountId,
    stage,
    regions: [region],
    ...(options.provider ? templateConfigOf(options.provider) : {}),
  };
  const { version: templateVersion, catalogue } =
    options.provider?.templateVersion ?? unrecordedTemplateVersion(templateConfig);
  const names = providerResourceNames(stage);
  const resolvedConfig = resolveCustomerTemplateConfig(templateConfig);
  const trusted = trustedPrincipalArns(resolvedConfig);
  const topicArns = registrationTopicArns(resolvedConfig);
  const topicArn = topicArns[region] as string;
  const providerRoleArn = trusted[0] as string;
  // The functions that assume customer roles call STS as their own execution roles, named as the
  // stack names them, whatever the template trusts (docs/architecture.md §8).
  const ownRoles = Object.entries(FUNCTIONS).flatMap(([name, spec]) =>
    'trustedRole' in spec
      ? [
          {
            functionName: `keyless-${stage}-${name}`,
            accessKeyId: `AKIALOCAL${spec.trustedRole.toUpperCase()}`.padEnd(20, '0'),
            roleArn: roleArn(
              resolvedConfig.partition,
              providerAccountId,
              spec.trustedRole === 'validator' ? names.validatorRoleName : names.brokerRoleName,
            ),
          },
        ]
      : [],
  );

  const concurrency = { ...DEFAULT_RESERVED_CONCURRENCY, ...options.deployment };
  let endpointUrl = '';
  // Set once the endpoint listens; every handler is built later, at its first invocation.
  let environment: Record<string, string> = {};
  let platform: ReturnType<typeof createLocalPlatform> | undefined;
  const platformFor = (name: string) => {
    if (!platform) throw new Error('The local platform is not ready yet.');
    return platform.forFunction(`keyless-${stage}-${name}`);
  };
  const functions = createLocalFunctions({
    handlers: options.handlers ?? localHandlers({ platformFor, environment: () => environment }),
    region,
    accountId: providerAccountId,
    namePrefix: `keyless-${stage}-`,
    // The same timeouts as the deployed functions (shared/wiring/function-catalogue.ts).
    timeoutMs: (name) => (FUNCTIONS[name as FunctionName]?.timeoutSeconds ?? 60) * 1000,
    // And the same reserved concurrency: beyond it an invocation is throttled, as Lambda does.
    reservedConcurrency: (name) => {
      const spec: FunctionSpec | undefined = FUNCTIONS[name as FunctionName];
      const reserved = spec?.reservedConcurrency;
      return typeof reserved === 'string' ? concurrency[reserved] : reserved;
    },
    onInvoke: (name, outcome) => {
      if (outcome.error) {
        log.error(`${name} failed`, {
          function: name,
          durationMs: Math.round(outcome.durationMs),
          error: outcome.error.errorMessage,
        });
      } else {
        log.debug(`${name} done`, { function: name, durationMs: Math.round(outcome.durationMs) });
      }
    },
  });
  const eventBus = createLocalEventBus({
    busName: names.eventBusName,
    region,
    accountId: providerAccountId,
    rules: Object.values(RULES),
    invoke: (target, event) => functions.invoke(target, event),
    onDelivery: ({ rule, target, event, attempt }) =>
      log.info(`event "${event['detail-type']}" → ${target}`, {
        rule,
        eventId: event.id,
        ...(attempt > 1 ? { attempt } : {}),
      }),
  });
  const sns = createLocalSns({
    topics: Object.values(topicArns).map((arn) => ({ arn, subscriber: 'registration-callback' })),
    endpoint: () => endpointUrl,
    invoke: (target, event) => functions.invoke(target, event),
    onDelivery: ({ target, attempt }) =>
      log.info(`sns publish → ${target}`, {
        topic: names.registrationTopicName,
        ...(attempt > 1 ? { attempt } : {}),
      }),
  });
  const secrets = createLocalSecrets({
    region,
    accountId: providerAccountId,
    persistPath: dataDir ? join(dataDir, 'secrets.json') : undefined,
  });
  const sts = createLocalSts({
    keyOwner: (accessKeyId) => secrets.accessKeyOwner(accessKeyId),
    providerAccountId,
    providerRoleArn,
    providerRoles: Object.fromEntries(ownRoles.map((own) => [own.accessKeyId, own.roleArn])),
    persistPath: dataDir ? join(dataDir, 'roles.json') : undefined,
  });
  const iam = createLocalIam({ sts, persistPath: dataDir ? join(dataDir, 'iam.json') : undefined });
  const customerServices = createCustomerServices({
    iam,
    persistPath: dataDir ? join(dataDir, 'tables.json') : undefined,
  });
  const responses = createCloudFormationResponses({ origin: () => endpointUrl });
  // As the stack publishes them: every version at its own URL, kept across restarts, and latest.
  const templates = publishedTemplates(dataDir, templateVersion, {
    ...templateConfig,
    templateVersion,
  });
  const templatePath = `${TEMPLATES_PATH}v${templateVersion}.json`;

  const info = (): LocalInfo => ({
    endpoint: endpointUrl,
    region,
    providerAccountId,
    providerRoleArn,
    trustedPrincipalArns: trusted,
    table: tableName,
    eventBus: names.eventBusName,
    eventBusArn: eventBus.busArn,
    registrationTopicArn: topicArn,
    templateUrl: `${endpointUrl}${templatePath}`,
    templateVersion,
    responseOrigin: endpointUrl,
    functions: functions.list(),
    rules: Object.values(RULES).map((rule) => ({
      id: rule.id,
      target: rule.target,
      ...('schedule' in rule ? { schedule: rule.schedule } : {}),
    })),
  });

  // The functions' clock: `POST /_local/clock {advanceDays}` moves it on (never back), so that
  // "30 days later" happens without waiting (docs/architecture.md §9.7). Not kept across restarts.
  let clockOffsetMs = 0;
  const now = () => new Date(Date.now() + clockOffsetMs);
  const clockRoute = (request: IncomingMessage, response: ServerResponse, body: Buffer): boolean => {
    if (request.method === 'POST') {
      let days: unknown;
      try {
        days = (JSON.parse(body.toString('utf8') || '{}') as { advanceDays?: unknown }).advanceDays;
      } catch {
        days = undefined;
      }
      if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0 || days > 3660) {
        sendJson(response, 400, { message: 'Expected { advanceDays: a number of days, > 0 and ≤ 3660 }.' });
        return true;
      }
      clockOffsetMs += days * 86_400_000;
    } else if (request.method !== 'GET') return false;
    sendJson(response, 200, { now: now().toISOString(), offsetMs: clockOffsetMs });
    return true;
  };

  let endpoint: Awaited<ReturnType<typeof startLocalEndpoint>>;
  try {
    endpoint = await startLocalEndpoint(
      {
        dynamoDbEndpoint,
        region,
        accountId: providerAccountId,
        sts,
        iam,
        customerServices,
        sns,
        eventBus,
        secrets,
        functions,
        responses,
        apiFunction: 'setup-api',
        info: () => ({ ...info() }),
        localRoutes: async (request, response, body) => {
          if (request.url === CLOCK_PATH) return clockRoute(request, response, body);
          if (request.method !== 'GET' || !request.url?.startsWith(TEMPLATES_PATH)) return false;
          const template = templates.get(request.url.slice(TEMPLATES_PATH.length));
          if (template) sendJson(response, 200, template);
          else sendJson(response, 404, { message: `No template at ${request.url}.` });
          return true;
        },
        onError: (error, request) =>
          log.error('local endpoint error', {
            method: request.method,
            url: request.url,
            error: error as Error,
          }),
      },
      { port },
    );
  } catch (error) {
    await dynamo?.stop();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `Port ${port} is in use (another npm start?): choose another with KEYLESS_PORT or --port.`,
      );
    }
    throw error;
  }
  endpointUrl = endpoint.url;

  // What the functions read at cold start: the variables the CDK stack sets, pointing here (each
  // function is given only those its catalogue entry declares).
  environment = {
    AWS_ENDPOINT_URL: endpointUrl,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'AKIAKEYLESSLOCAL0000',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    TABLE_NAME: tableName,
    EVENT_BUS_NAME: names.eventBusName,
    PROVIDER_ACCOUNT_ID: providerAccountId,
    HOME_REGION: region,
    TEMPLATE_URL: `${endpointUrl}${templatePath}`,
    REGISTRATION_TOPIC_ARNS: JSON.stringify(topicArns),
    TEMPLATE_CATALOGUE: JSON.stringify(catalogue),
    PERMISSION_CHECKS: JSON.stringify(permissionChecksOfTemplate(resolvedConfig)),
    CUSTOMER_STACK_NAME_PREFIX: stackNamePrefixOf(resolvedConfig.providerName),
    // The broker asks the validator to re-check a role that keeps refusing it (Lambda Invoke here too).
    REVALIDATION_FUNCTION_NAME: 'role-validator',
    VALIDATOR_RESERVED_CONCURRENCY: String(concurrency.validatorReservedConcurrency),
    STAGE: stage,
  };
  platform = createLocalPlatform({
    endpoint: endpointUrl,
    region,
    credentials: {
      accessKeyId: environment.AWS_ACCESS_KEY_ID!,
      secretAccessKey: environment.AWS_SECRET_ACCESS_KEY!,
    },
    responseOrigin: endpointUrl,
    now,
    functionCredentials: Object.fromEntries(
      ownRoles.map((own) => [own.functionName, { accessKeyId: own.accessKeyId, secretAccessKey: 'local' }]),
    ),
  });
  // For the SDK clients of local tools in this process (the functions get theirs from the platform).
  for (const variable of Object.keys(process.env)) {
    if (variable.startsWith('AWS_ENDPOINT_URL_')) delete process.env[variable];
  }
  Object.assign(process.env, environment);
  if (options.schedules !== false) eventBus.startSchedules();

  return {
    endpoint: endpointUrl,
    port: endpoint.port,
    info,
    environment,
    tableOutcome,
    functions,
    eventBus,
    sns,
    sts,
    responses,
    /** Resolves once every event and message under way has been delivered. */
    async idle(): Promise<void> {
      await Promise.all([eventBus.idle(), sns.idle()]);
      await Promise.all([eventBus.idle(), sns.idle()]);
    },
    async stop(): Promise<void> {
      eventBus.stop();
      await endpoint.close();
      await dynamo?.stop();
    },
  };
}

/** The functions' clock: GET reads it, POST `{advanceDays}` moves it on. */
export const CLOCK_PATH = '/_local/clock';

/** Where the local endpoint serves the customer templates. */
export const TEMPLATES_PATH = '/_local/templates/';

/**
 * The templates the local system serves, by file name: the current version as `v<N>.json` and
 * `latest.json`, and, with a data directory, every earlier version published before (the stack's
 * bucket keeps them too).
 */
function publishedTemplates(
  dataDir: string | null,
  version: number,
  config: Parameters<typeof buildCustomerTemplate>[0],
): Map<string, unknown> {
  const current = buildCustomerTemplate(config);
  const published = new Map<string, unknown>();
  if (dataDir) {
    const dir = join(dataDir, 'templates');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `v${version}.json`), `${JSON.stringify(current, null, 2)}\n`);
    for (let earlier = 1; earlier < version; earlier++) {
      try {
        published.set(`v${earlier}.json`, JSON.parse(readFileSync(join(dir, `v${earlier}.json`), 'utf8')));
      } catch {
        // Never published by this data directory: nothing to serve.
      }
    }
  }
  published.set(`v${version}.json`, current);
  published.set('latest.json', current);
  return published;
}
