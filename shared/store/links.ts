/**
 * Stack and role links: which proven connection a CloudFormation stack registered, and which one a
 * customer role serves (invariants 4 and 9). They are claimed and released only inside the
 * transaction of the connection write that records the proof or the revocation.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { LinkConflictError } from '../errors.ts';
import { decodeLinkHolder, type StoredItem } from './decoders.ts';
import type { StoreTable } from './table.ts';
import { itemKeys, TABLE_KEYS } from './table-definition.ts';
import type { TransactItem, TransactionWrite } from './transaction.ts';

/** Which connection a CloudFormation stack registered; written only once the connection is proven. */
export interface StackLink {
  stackId: string;
  customerId: string;
  accountId: string;
}

/** Which connection a customer role serves; written only once the connection is proven. */
export interface RoleLink {
  roleArn: string;
  customerId: string;
  accountId: string;
}

interface Holder {
  customerId: string;
  accountId: string;
}

/** The condition under which a connection may write a link: none exists, it is its own, or it was released. */
const LINK_FREE_FOR_HOLDER =
  'attribute_not_exists(#pk) OR attribute_exists(releasedAt) OR (customerId = :customer AND accountId = :account)';

/** Puts a link for a proven connection, unless another connection holds it. */
function claimLinkItem(
  tableName: string,
  key: Record<string, string>,
  link: Record<string, string>,
  now: Date,
): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: { ...key, ...link, linkedAt: now.toISOString() },
      ConditionExpression: LINK_FREE_FOR_HOLDER,
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      ExpressionAttributeValues: { ':customer': link.customerId, ':account': link.accountId },
    },
  };
}

/** Marks a link released, if it is this connection's (another's is never touched). */
function releaseLinkItem(
  tableName: string,
  key: Record<string, string>,
  holder: Holder,
  now: Date,
): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: 'SET releasedAt = :now',
      ConditionExpression: 'customerId = :customer AND accountId = :account',
      ExpressionAttributeValues: {
        ':now': now.toISOString(),
        ':customer': holder.customerId,
        ':account': holder.accountId,
      },
    },
  };
}

export function createLinks({ client, tableName }: StoreTable) {
  /** The link under `key`, unless it was released. */
  async function getLink(key: Record<string, string>): Promise<StoredItem | undefined> {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return Item && Item.releasedAt === undefined ? Item : undefined;
  }

  return {
    async findStackLink(stackId: string): Promise<StackLink | undefined> {
      const item = await getLink(itemKeys.stackLink(stackId));
      return item ? { stackId, ...decodeLinkHolder(item) } : undefined;
    },

    async findRoleLink(roleArn: string): Promise<RoleLink | undefined> {
      const item = await getLink(itemKeys.roleLink(roleArn));
      return item ? { roleArn, ...decodeLinkHolder(item) } : undefined;
    },

    /**
     * The link writes of one connection write: claims of the links a proof gives it, and releases
     * of the ones it no longer holds, each with the LinkConflictError its failed condition means.
     */
    async linkWrites({
      holder,
      claims,
      releases = {},
      now,
    }: {
      holder: Holder;
      claims: { stackId?: string | undefined; roleArn: string } | undefined;
      releases: { stackId?: string | undefined; roleArn?: string } | undefined;
      now: Date;
    }): Promise<TransactionWrite[]> {
      const writes: TransactionWrite[] = [];
      if (claims) {
        const { stackId, roleArn } = claims;
        // A connection registered without a stack (API, Terraform) holds its role only.
        if (stackId !== undefined) {
          writes.push({
            item: claimLinkItem(
              tableName,
              itemKeys.stackLink(stackId),
              { type: 'STACK_LINK', stackId, ...holder },
              now,
            ),
            onConditionFailed: (_current, options) => new LinkConflictError('stack', stackId, options),
          });
        }
        writes.push({
          item: claimLinkItem(
            tableName,
            itemKeys.roleLink(roleArn),
            { type: 'ROLE_LINK', roleArn, ...holder },
            now,
          ),
          onConditionFailed: (_current, options) => new LinkConflictError('role', roleArn, options),
        });
      }
      // Only links this connection holds are released; one it never held (or that another holds,
      // which only data older than the links can show) is left alone, so a revocation never fails.
      const toRelease = [
        releases.stackId && releases.stackId !== claims?.stackId
          ? { kind: 'stack' as const, value: releases.stackId, key: itemKeys.stackLink(releases.stackId) }
          : undefined,
        releases.roleArn && releases.roleArn !== claims?.roleArn
          ? { kind: 'role' as const, value: releases.roleArn, key: itemKeys.roleLink(releases.roleArn) }
          : undefined,
      ].filter((release) => release !== undefined);
      for (const release of toRelease) {
        const link = await getLink(release.key);
        if (link?.customerId !== holder.customerId || link.accountId !== holder.accountId) continue;
        writes.push({
          item: releaseLinkItem(tableName, release.key, holder, now),
          onConditionFailed: (_current, options) =>
            new LinkConflictError(release.kind, release.value, options),
        });
      }
      return writes;
    },
  };
}
