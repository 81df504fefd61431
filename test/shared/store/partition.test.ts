import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeFixture } from './support.ts';

let fixture: Awaited<ReturnType<typeof storeFixture>>;
let store: typeof fixture.store;

beforeAll(async () => {
  fixture = await storeFixture();
  ({ store } = fixture);
});
afterAll(() => fixture.table.drop());

describe('customer partition queries', () => {
  describe('pagination', () => {
    it('follows pages past DynamoDB’s 1 MB limit', async () => {
      // Prepare: 60 audit entries of ~40 KB each in one partition (~2.4 MB).
      const customerId = 'big-co';
      const padding = 'x'.repeat(40_000);
      for (let i = 0; i < 60; i++) {
        const at = `2026-11-24T00:00:${String(i).padStart(2, '0')}.000Z`;
        await fixture.table.documentClient.send(
          new PutCommand({
            TableName: fixture.table.tableName,
            Item: {
              PK: `CUSTOMER#${customerId}`,
              SK: `AUDIT#${at}#${i}`,
              type: 'AUDIT',
              customerId,
              accountId: '111122223333',
              auditId: String(i),
              at,
              from: 'REGISTERED',
              to: 'ACTIVE',
              actor: 'test',
              reason: 'padding',
              version: 2,
              padding,
            },
          }),
        );
      }
      // Act
      const first = await store.listAudit(customerId, { limit: 1000 });
      const all = await store.listAllAudit(customerId);
      // Assess
      expect(first.items.length).toBeLessThan(60);
      expect(first.cursor).toBeDefined();
      const second = await store.listAudit(customerId, { cursor: first.cursor!, limit: 1000 });
      expect(first.items.length + second.items.length).toBeLessThanOrEqual(60);
      expect(all).toHaveLength(60);
      expect(new Set(all.map((e) => e.auditId)).size).toBe(60);
    });

    it('rejects a cursor it did not issue', async () => {
      await expect(store.listConnections('acme', { cursor: 'not-a-cursor' })).rejects.toThrow(/cursor/);
    });
  });

  describe('cursors', () => {
    it("refuses a cursor that points into another customer's partition", async () => {
      const other = Buffer.from(JSON.stringify({ PK: 'CUSTOMER#victim', SK: 'CONN#111122223333' })).toString(
        'base64url',
      );
      await expect(store.listConnections('attacker', { cursor: other })).rejects.toMatchObject({
        name: 'ValidationError',
        statusCode: 400,
      });
    });
  });
});
