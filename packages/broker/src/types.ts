/**
 * The small interfaces the broker is built from, so a worker in any repository can pass its own:
 * a status reader, an optional revocation feed, an STS client, a legacy-key reader and a logger.
 */
import type { AssumeRoleCommand, AssumeRoleCommandOutput } from '@aws-sdk/client-sts';

export const CONNECTION_STATUSES = ['REGISTERED', 'ACTIVE', 'FAILED', 'BROKEN', 'REVOKED'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];
export type AuthMethod = 'ROLE' | 'ACCESS_KEYS';

/** What a vend needs to know about a connection: its status and how to reach the account. */
export interface ConnectionAccess {
  customerId: string;
  accountId: string;
  status: ConnectionStatus;
  authMethod: AuthMethod;
  roleArn?: string;
  externalId?: string;
  secretRef?: string;
  version: number;
  createdAt: string;
}

/** A strongly consistent read of one connection's status (undefined: never connected). */
export interface StatusReader {
  getConnectionAccess(customerId: string, accountId: string): Promise<ConnectionAccess | undefined>;
}

/** The head of the revocation feed: moves whenever an entry is appended. */
export interface FeedHead {
  /** Incremented by every append; 0 when nothing was ever appended. */
  sequence: number;
  /** The writer's ISO time of the latest append. */
  updatedAt?: string;
}

/** One entry: a connection that left ACTIVE, or whose role or External ID changed while ACTIVE. */
export interface FeedEntry {
  entryId: string;
  customerId: string;
  accountId: string;
  /** The writer's ISO time of the append. */
  at: string;
}

/** The revocation feed as the broker reads it (docs/architecture.md §2.3). */
export interface RevocationFeedReader {
  /** A strongly consistent read of the head: one small item. */
  readHead(): Promise<FeedHead>;
  /** Every entry appended at or after `since` (an ISO time), oldest first. */
  readEntriesSince(since: string): Promise<FeedEntry[]>;
}

/** The one STS call the broker makes; an `STSClient` is one. */
export interface StsClient {
  send(command: AssumeRoleCommand): Promise<AssumeRoleCommandOutput>;
}

export interface LegacyKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Reads a legacy connection's access keys from where `secretRef` points. */
export interface LegacyKeyReader {
  read(secretRef: string): Promise<LegacyKeys>;
}

/** The few logger calls the broker makes; a Powertools `Logger` or `console` is one. */
export interface BrokerLogger {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}
