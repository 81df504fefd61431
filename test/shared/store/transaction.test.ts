import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoreTable } from '#shared/store/table.ts';
import { type TransactionWrite, transactWrite } from '#shared/store/transaction.ts';
import { createTestTable } from '../../support/dynamodb.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: StoreTable;

beforeAll(async () => {
  table = await createTestTable();
  store = { client: table.documentClient, tableName: table.tableName };
});
afterAll(() => table.drop());

const key = (name: string) => ({ PK: `TX#${name}`, SK: 'TX' });

/** A Put that succeeds only where no item exists yet. */
function putNew(name: string, onConditionFailed: TransactionWrite['onConditionFailed']): TransactionWrite {
  return {
    item: {
      Put: {
        TableName: table.tableName,
        Item: { ...key(name), status: 'NEW', version: 1 },
        ConditionExpression: 'attribute_not_exists(PK)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    onConditionFailed,
  };
}

/** A check that fails unless the item exists. */
function mustExist(name: string, onConditionFailed: TransactionWrite['onConditionFailed']): TransactionWrite {
  return {
    item: {
      ConditionCheck: {
        TableName: table.tableName,
        Key: key(name),
        ConditionExpression: 'attribute_exists(PK)',
      },
    },
    onConditionFailed,
  };
}

const unexpected = () => new Error('this item did not fail');

describe('transactWrite', () => {
  it("throws the failed item's own error, with the cancellation as its cause, and writes nothing", async () => {
    // Prepare
    const second = vi.fn((_current: unknown, options: ErrorOptions) => new Error('second failed', options));
    // Act
    const write = transactWrite(store, [putNew('a', unexpected), mustExist('missing', second)]);
    // Assess
    const thrown = await write.catch((error: unknown) => error);
    expect(thrown).toBe(second.mock.results[0]?.value);
    expect((thrown as Error).cause).toBeInstanceOf(TransactionCanceledException);
    expect(second).toHaveBeenCalledWith(undefined, { cause: (thrown as Error).cause });
    const { Item } = await table.documentClient.send(
      new GetCommand({ TableName: table.tableName, Key: key('a'), ConsistentRead: true }),
    );
    expect(Item).toBeUndefined();
  });

  it('gives the failed item the item DynamoDB returned for it, unmarshalled', async () => {
    // Prepare: an item already under the key the Put asks to be free
    await table.documentClient.send(
      new PutCommand({ TableName: table.tableName, Item: { ...key('taken'), status: 'ACTIVE', version: 7 } }),
    );
    const taken = vi.fn(
      (current: unknown, options: ErrorOptions) => new Error(JSON.stringify(current), options),
    );
    // Act
    const write = transactWrite(store, [putNew('taken', taken)]);
    // Assess
    await expect(write).rejects.toThrow(/"status":"ACTIVE"/);
    expect(taken).toHaveBeenCalledWith(
      { ...key('taken'), status: 'ACTIVE', version: 7 },
      { cause: expect.any(TransactionCanceledException) },
    );
  });

  it('maps a cancellation to the first item whose condition failed', async () => {
    // Act
    const write = transactWrite(store, [
      putNew('fine', unexpected),
      mustExist('missing-1', (_current, options) => new Error('first failed', options)),
      mustExist('missing-2', (_current, options) => new Error('second failed', options)),
    ]);
    // Assess
    await expect(write).rejects.toThrow('first failed');
  });

  it('passes any other failure on unchanged', async () => {
    // Prepare: two writes of one item, which DynamoDB refuses before evaluating any condition
    const conditionFailed = vi.fn(unexpected);
    // Act
    const write = transactWrite(store, [
      putNew('twice', conditionFailed),
      mustExist('twice', conditionFailed),
    ]);
    // Assess
    await expect(write).rejects.toMatchObject({ name: 'ValidationException' });
    expect(conditionFailed).not.toHaveBeenCalled();
  });

  it('writes every item when every condition holds', async () => {
    // Act
    await transactWrite(store, [putNew('b', unexpected), putNew('c', unexpected)]);
    // Assess
    for (const name of ['b', 'c']) {
      const { Item } = await table.documentClient.send(
        new GetCommand({ TableName: table.tableName, Key: key(name), ConsistentRead: true }),
      );
      expect(Item).toMatchObject({ status: 'NEW', version: 1 });
    }
  });
});
