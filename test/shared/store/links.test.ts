import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, RoleConnection } from '#shared/domain/connection.ts';
import { LinkConflictError } from '#shared/errors.ts';
import { itemKeys } from '#shared/store/table-definition.ts';
import { audit, storeFixture } from './support.ts';

let fixture: Awaited<ReturnType<typeof storeFixture>>;
let store: typeof fixture.store;

beforeAll(async () => {
  fixture = await storeFixture();
  ({ store } = fixture);
});
afterAll(() => fixture.table.drop());

/** A connection of a stack, as these links are claimed for. */
function role(connection: Connection): RoleConnection & { stackId: string } {
  if (connection.authMethod !== 'ROLE' || connection.stackId === undefined)
    throw new Error('expected a role connection of a stack');
  return connection as RoleConnection & { stackId: string };
}

const registered = async () => role(await fixture.registered());

/** A registered connection proven ACTIVE, holding its own stack and role links. */
async function proven() {
  const connection = await registered();
  const active = await store.updateConnection({
    connection,
    to: 'ACTIVE',
    claimLinks: { stackId: connection.stackId, roleArn: connection.roleArn },
    audit,
  });
  return role(active);
}

const holderOf = (c: { customerId: string; accountId: string }) => ({
  customerId: c.customerId,
  accountId: c.accountId,
});

async function rawLink(key: Record<string, string>) {
  const { Item } = await fixture.table.documentClient.send(
    new GetCommand({ TableName: fixture.table.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

describe('links', () => {
  it('gives a proven connection its stack and its role', async () => {
    // Act
    const connection = await proven();
    // Assess
    expect(await store.findStackLink(connection.stackId)).toEqual({
      stackId: connection.stackId,
      ...holderOf(connection),
    });
    expect(await store.findRoleLink(connection.roleArn)).toEqual({
      roleArn: connection.roleArn,
      ...holderOf(connection),
    });
  });

  it('finds no link for a stack or a role nobody proved', async () => {
    expect(
      await store.findStackLink('arn:aws:cloudformation:us-east-1:111122223333:stack/none/1'),
    ).toBeUndefined();
    expect(await store.findRoleLink('arn:aws:iam::111122223333:role/Nobody')).toBeUndefined();
  });

  it('lets a connection claim again the links it already holds', async () => {
    // Prepare
    const connection = await proven();
    const reRegistered = await store.updateConnection({ connection, to: 'REGISTERED', audit });
    // Act
    const again = await store.updateConnection({
      connection: reRegistered,
      to: 'ACTIVE',
      claimLinks: { stackId: connection.stackId, roleArn: connection.roleArn },
      audit,
    });
    // Assess
    expect(again).toMatchObject({ status: 'ACTIVE', version: 4 });
    expect(await store.findRoleLink(connection.roleArn)).toMatchObject(holderOf(connection));
  });

  it('does not overwrite a role another connection holds, and leaves the other connection unwritten', async () => {
    // Prepare
    const holder = await proven();
    const other = await registered();
    // Act
    const claim = store.updateConnection({
      connection: other,
      to: 'ACTIVE',
      claimLinks: { stackId: other.stackId, roleArn: holder.roleArn },
      audit,
    });
    // Assess
    await expect(claim).rejects.toBeInstanceOf(LinkConflictError);
    await expect(claim).rejects.toMatchObject({ link: 'role', value: holder.roleArn });
    expect(await store.findRoleLink(holder.roleArn)).toMatchObject(holderOf(holder));
    expect(await store.findStackLink(other.stackId)).toBeUndefined();
    expect(await store.getConnection(other.customerId, other.accountId)).toMatchObject({
      status: 'REGISTERED',
      version: 1,
    });
  });

  it('does not overwrite a stack another connection holds', async () => {
    // Prepare
    const holder = await proven();
    const other = await registered();
    // Act
    const claim = store.updateConnection({
      connection: other,
      to: 'ACTIVE',
      claimLinks: { stackId: holder.stackId, roleArn: other.roleArn },
      audit,
    });
    // Assess
    await expect(claim).rejects.toMatchObject({
      name: 'LinkConflictError',
      link: 'stack',
      value: holder.stackId,
    });
    expect(await store.findStackLink(holder.stackId)).toMatchObject(holderOf(holder));
    expect(await store.findRoleLink(other.roleArn)).toBeUndefined();
  });

  it('lets another connection claim links once their holder released them', async () => {
    // Prepare: the holder is revoked and lets go of its links
    const holder = await proven();
    await store.updateConnection({
      connection: holder,
      to: 'REVOKED',
      releaseLinks: { stackId: holder.stackId, roleArn: holder.roleArn },
      audit,
    });
    expect(await store.findStackLink(holder.stackId)).toBeUndefined();
    expect(await store.findRoleLink(holder.roleArn)).toBeUndefined();
    const next = await registered();
    // Act
    await store.updateConnection({
      connection: next,
      to: 'ACTIVE',
      claimLinks: { stackId: holder.stackId, roleArn: holder.roleArn },
      audit,
    });
    // Assess
    expect(await store.findStackLink(holder.stackId)).toMatchObject(holderOf(next));
    expect(await store.findRoleLink(holder.roleArn)).toMatchObject(holderOf(next));
    expect(await rawLink(itemKeys.roleLink(holder.roleArn))).not.toHaveProperty('releasedAt');
  });

  it("never releases another connection's links, and the releasing write still succeeds", async () => {
    // Prepare
    const holder = await proven();
    const other = await registered();
    // Act: the other connection is revoked naming links it never held
    const revoked = await store.updateConnection({
      connection: other,
      to: 'REVOKED',
      releaseLinks: { stackId: holder.stackId, roleArn: holder.roleArn },
      audit,
    });
    // Assess
    expect(revoked.status).toBe('REVOKED');
    expect(await store.findStackLink(holder.stackId)).toMatchObject(holderOf(holder));
    expect(await store.findRoleLink(holder.roleArn)).toMatchObject(holderOf(holder));
    expect(await rawLink(itemKeys.stackLink(holder.stackId))).not.toHaveProperty('releasedAt');
    expect(await rawLink(itemKeys.roleLink(holder.roleArn))).not.toHaveProperty('releasedAt');
  });

  it('keeps the links a write both releases and claims', async () => {
    // Prepare: a proven connection re-proven with the same stack and role
    const connection = await proven();
    const reRegistered = await store.updateConnection({ connection, to: 'REGISTERED', audit });
    // Act
    await store.updateConnection({
      connection: reRegistered,
      to: 'ACTIVE',
      claimLinks: { stackId: connection.stackId, roleArn: connection.roleArn },
      releaseLinks: { stackId: connection.stackId, roleArn: connection.roleArn },
      audit,
    });
    // Assess
    expect(await store.findStackLink(connection.stackId)).toMatchObject(holderOf(connection));
    expect(await store.findRoleLink(connection.roleArn)).toMatchObject(holderOf(connection));
  });
});
