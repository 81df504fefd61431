/**
 * The broker of a Lambda function, wired from its environment. Create it once at module load, so
 * its session cache and status checks outlive invocations of the execution environment.
 *
 * TABLE_NAME (required), REVOCATION_MODE (`strict` | `feed` | `bounded`, default `strict`),
 * REVOCATION_FEED_INTERVAL_SECONDS (feed, default 1), REVOCATION_STALENESS_SECONDS (bounded; a
 * value above 0 without a mode means `bounded`), CREDENTIAL_REFRESH_BUFFER_SECONDS (300),
 * REVALIDATION_FUNCTION_NAME (the role validator asked to re-check a role that keeps denying us),
 * POWERTOOLS_SERVICE_NAME (the `<service>` of session names), POWERTOOLS_LOG_LEVEL / LOG_LEVEL.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { createConsoleLogger, logLevelOf } from './console-logger.ts';
import {
  type AssumeRoleObserver,
  type CredentialBroker,
  createCredentialBroker,
} from './credential-broker.ts';
import { createDynamoDBRevocationFeed, createDynamoDBStatusReader, type DynamoDBReads } from './dynamodb.ts';
import { BrokerConfigurationError } from './errors.ts';
import { createSecretsManagerKeyReader, type SecretsManagerReads } from './legacy-keys.ts';
import { createRepeatedDenialWatch } from './repeated-denials.ts';
import { createRevalidationInvoker, type LambdaInvoker } from './revalidation-request.ts';
import { DEFAULT_FEED_INTERVAL_SECONDS, type RevocationCheck } from './status-checks.ts';
import type { BrokerLogger, StsClient } from './types.ts';

/** How revocation reaches the broker, as settings (the feed reader is built from the table). */
export type RevocationSetting =
  | { mode: 'strict' }
  | { mode: 'bounded'; stalenessSeconds: number }
  | { mode: 'feed'; intervalSeconds: number };

export interface BrokerSettings {
  tableName: string;
  /** `<service>` in session names. */
  serviceName: string;
  /** Default SourceIdentity: the calling function's name. */
  sourceIdentity: string;
  refreshBufferSeconds: number;
  revocation: RevocationSetting;
  /** The role validator's name or ARN; unset: a role that keeps denying us is only logged. */
  revalidationFunctionName?: string | undefined;
}

/** The clients a broker uses; `lambda` only with a revalidation function. */
export interface BrokerClients {
  dynamoDb: DynamoDBReads;
  sts: StsClient;
  secretsManager: SecretsManagerReads;
  lambda?: LambdaInvoker;
}

type Env = Record<string, string | undefined>;

function seconds(env: Env, name: string, fallback: number, problems: string[], { min }: { min: number }) {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) {
    problems.push(`${name} must be a number of seconds, ${min} or more`);
    return fallback;
  }
  return value;
}

/** The broker's settings from a Lambda environment; one error names every bad variable. */
export function brokerSettingsFromEnvironment(env: Env = process.env): BrokerSettings {
  const problems: string[] = [];
  const tableName = env.TABLE_NAME?.trim();
  if (!tableName) problems.push('TABLE_NAME is required (the Keyless DynamoDB table)');
  const refreshBufferSeconds = seconds(env, 'CREDENTIAL_REFRESH_BUFFER_SECONDS', 300, problems, { min: 1 });
  const stalenessSeconds = seconds(env, 'REVOCATION_STALENESS_SECONDS', 0, problems, { min: 0 });
  const intervalSeconds = seconds(
    env,
    'REVOCATION_FEED_INTERVAL_SECONDS',
    DEFAULT_FEED_INTERVAL_SECONDS,
    problems,
    {
      min: 0.05,
    },
  );
  const mode = env.REVOCATION_MODE?.trim() || (stalenessSeconds > 0 ? 'bounded' : 'strict');
  let revocation: RevocationSetting = { mode: 'strict' };
  if (mode === 'feed') revocation = { mode, intervalSeconds };
  else if (mode === 'bounded') {
    if (stalenessSeconds <= 0) problems.push('REVOCATION_STALENESS_SECONDS must be above 0 in bounded mode');
    revocation = { mode, stalenessSeconds };
  } else if (mode !== 'strict') problems.push('REVOCATION_MODE must be strict, feed or bounded');
  if (problems.length > 0)
    throw new BrokerConfigurationError(`Invalid broker configuration: ${problems.join('; ')}.`);
  const serviceName = env.POWERTOOLS_SERVICE_NAME?.trim() || env.AWS_LAMBDA_FUNCTION_NAME || 'keyless';
  return {
    tableName: tableName as string,
    serviceName,
    sourceIdentity: env.AWS_LAMBDA_FUNCTION_NAME || serviceName,
    refreshBufferSeconds,
    revocation,
    revalidationFunctionName: env.REVALIDATION_FUNCTION_NAME?.trim() || undefined,
  };
}

/** A broker from explicit clients and settings (tests, the local runtime, custom wiring). */
export function createBroker({
  clients,
  settings,
  logger,
  clock,
  observeAssumeRole,
}: {
  clients: BrokerClients;
  settings: BrokerSettings;
  logger: BrokerLogger;
  clock?: () => number;
  /** Wraps each AssumeRole call (e.g. a trace subsegment); see CredentialBrokerOptions. */
  observeAssumeRole?: AssumeRoleObserver;
}): CredentialBroker {
  const { tableName, revocation: setting, revalidationFunctionName } = settings;
  const table = { client: clients.dynamoDb, tableName };
  const revocation: RevocationCheck =
    setting.mode === 'feed' ? { ...setting, feed: createDynamoDBRevocationFeed(table) } : setting;
  const { lambda } = clients;
  return createCredentialBroker({
    store: createDynamoDBStatusReader(table),
    sts: clients.sts,
    legacyKeys: createSecretsManagerKeyReader({ client: clients.secretsManager }),
    serviceName: settings.serviceName,
    sourceIdentity: settings.sourceIdentity,
    logger,
    refreshBufferSeconds: settings.refreshBufferSeconds,
    revocation,
    ...(revalidationFunctionName && lambda
      ? {
          repeatedDenials: createRepeatedDenialWatch({
            requestRevalidation: createRevalidationInvoker({
              lambda,
              functionName: revalidationFunctionName,
            }),
            logger,
          }),
        }
      : {}),
    ...(clock ? { clock } : {}),
    ...(observeAssumeRole ? { observeAssumeRole } : {}),
  });
}

/**
 * The broker of a Lambda function, from its environment and SDK clients with the default
 * credential chain. Throws a BrokerConfigurationError at cold start when a setting is invalid.
 */
export function createBrokerFromEnvironment({
  logger,
  env = process.env,
  clients,
}: {
  logger?: BrokerLogger;
  env?: Env;
  clients?: Partial<BrokerClients>;
} = {}): CredentialBroker {
  const settings = brokerSettingsFromEnvironment(env);
  return createBroker({
    clients: {
      dynamoDb: clients?.dynamoDb ?? new DynamoDBClient({}),
      sts: clients?.sts ?? new STSClient({}),
      secretsManager: clients?.secretsManager ?? new SecretsManagerClient({}),
      ...(settings.revalidationFunctionName ? { lambda: clients?.lambda ?? new LambdaClient({}) } : {}),
    },
    settings,
    logger:
      logger ??
      createConsoleLogger(settings.serviceName, logLevelOf(env.POWERTOOLS_LOG_LEVEL ?? env.LOG_LEVEL)),
  });
}
