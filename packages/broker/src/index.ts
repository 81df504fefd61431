/**
 * @keyless/broker: short-lived credentials for a customer's AWS account connected through Keyless,
 * as an AWS SDK v3 credential provider that vends only for ACTIVE connections.
 *
 *   const broker = createBrokerFromEnvironment();
 *   new S3Client({ credentials: broker.credentialsFor({ customerId, accountId }) });
 */
export { createConsoleLogger } from './console-logger.ts';
export {
  type AssumeRoleObserver,
  type CredentialBroker,
  type CredentialBrokerOptions,
  createCredentialBroker,
  SDK_REFRESH_WINDOW_MS,
} from './credential-broker.ts';
export type { CredentialRequest } from './credential-request.ts';
export {
  connectionKey,
  createDynamoDBRevocationFeed,
  createDynamoDBStatusReader,
  type DynamoDBReads,
  FEED_KEYS,
} from './dynamodb.ts';
export * from './errors.ts';
export {
  type BrokerClients,
  type BrokerSettings,
  brokerSettingsFromEnvironment,
  createBroker,
  createBrokerFromEnvironment,
  type RevocationSetting,
} from './from-environment.ts';
export { createSecretsManagerKeyReader, LegacySecretError, parseLegacyKeys } from './legacy-keys.ts';
export {
  type ConnectionRef,
  createRepeatedDenialWatch,
  type DenialOutcome,
  type RepeatedDenialOptions,
  type RepeatedDenialWatch,
  type RevalidationRequester,
} from './repeated-denials.ts';
export { createRevalidationInvoker, type LambdaInvoker } from './revalidation-request.ts';
export { assertSourceIdentity, buildSessionName } from './session-name.ts';
export { DEFAULT_FEED_INTERVAL_SECONDS, type RevocationCheck } from './status-checks.ts';
export type {
  BrokerLogger,
  ConnectionAccess,
  ConnectionStatus,
  FeedEntry,
  FeedHead,
  LegacyKeyReader,
  LegacyKeys,
  RevocationFeedReader,
  StatusReader,
  StsClient,
} from './types.ts';
