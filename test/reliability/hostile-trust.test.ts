/**
 * Hostile trust policies (docs/architecture.md §6, invariant 4): generated customer roles whose
 * `sts:ExternalId` condition is exact, a wildcard or prefix, single-character wildcards, an
 * IfExists form or another customer's ID, proven by the real validator against the local
 * runtime's STS (the IAM policy engine decides each AssumeRole). The verdict each must get is
 * decided here by construction: only a role assumable with the customer's External ID, and with
 * no other, goes ACTIVE.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES, type DetailOf } from '#shared/events/catalog.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { captureOutput } from '../shared/broker/support/capture-output.ts';
import { randomAccountId } from '../support/builders.ts';
import { createTestTable } from '../support/dynamodb.ts';
import { createRequest, openSetup, uniqueCustomer } from '../support/onboarding.ts';
import { startResponseServer } from '../support/response-server.ts';
import { createFigures } from './support/figures.ts';
import { wireLifecycle } from './support/lifecycle.ts';
import { FUZZ_RUNS, FUZZ_SEED } from './support/settings.ts';
import { type ExternalIdCondition, simulateEventBridge, simulateSts } from './support/simulated-aws.ts';

const sts = simulateSts();
const bus = simulateEventBridge();
const figures = createFigures(import.meta.filename);
/** This file's share of the suite's hostile cases (each one a whole validation). */
const RUNS = Math.max(50, Math.ceil(FUZZ_RUNS * 0.01));

let table: Awaited<ReturnType<typeof createTestTable>>;
let server: Awaited<ReturnType<typeof startResponseServer>>;
let store: ReturnType<typeof createConnectionStore>;
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  table = await createTestTable('keyless-trust');
  server = await startResponseServer();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(async () => {
  figures.write();
  await server.close();
  await table.drop();
});
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

type Verdict = 'validated' | 'loose' | 'denied' | 'open';

interface Trust {
  kind: string;
  condition: ExternalIdCondition;
  verdict: Verdict;
}

/**
 * Recipes for a trust condition, applied to the customer's External ID (`keyless-<customer
 * part>-<32 random hex>`: the part before the hex is what every ID of this customer shares).
 */
const trustRecipe: fc.Arbitrary<(externalId: string, otherId: string) => Trust> = fc.oneof(
  fc.constantFrom('StringEquals', 'StringLike').map((operator) => (externalId: string) => ({
    kind: `exact (${operator})`,
    condition: { operator, value: externalId },
    verdict: 'validated' as const,
  })),
  fc.double({ min: 0, max: 1, noNaN: true }).map((share) => (externalId: string) => {
    const shared = externalId.slice(0, -32);
    return {
      kind: 'prefix wildcard',
      condition: { operator: 'StringLike', value: `${shared.slice(0, Math.floor(share * shared.length))}*` },
      verdict: 'loose' as const,
    };
  }),
  fc.nat({ max: 31 }).map((keep) => (externalId: string) => ({
    kind: 'single-character wildcards over the random part',
    condition: {
      operator: 'StringLike',
      value: `${externalId.slice(0, -32)}${'?'.repeat(32 - keep)}${keep ? '*' : ''}`,
    },
    verdict: 'loose' as const,
  })),
  fc.constant(() => ({
    kind: 'a wildcard for the customer part',
    condition: { operator: 'StringLike', value: `keyless-*-${'?'.repeat(32)}` },
    verdict: 'loose' as const,
  })),
  fc.constantFrom('StringLikeIfExists', 'StringEqualsIfExists').map((operator) => (externalId: string) => ({
    kind: `${operator} (also true with no External ID)`,
    condition: {
      operator,
      value: operator.startsWith('StringLike') ? `${externalId.slice(0, -32)}*` : externalId,
    },
    verdict: 'open' as const,
  })),
  fc.constant((_externalId: string, otherId: string) => ({
    kind: "another customer's External ID",
    condition: { operator: 'StringEquals', value: otherId },
    verdict: 'denied' as const,
  })),
  fc.nat({ max: 31 }).map((at) => (externalId: string) => {
    const random = externalId.slice(-32);
    const changed = `${random.slice(0, at)}${random[at] === '0' ? '1' : '0'}${random.slice(at + 1)}`;
    return {
      kind: 'the ID with one random character changed',
      condition: { operator: 'StringEquals', value: `${externalId.slice(0, -32)}${changed}` },
      verdict: 'denied' as const,
    };
  }),
);

const REASONS: Record<Exclude<Verdict, 'validated'>, RegExp> = {
  loose: /accepts an External ID it was never given: .*StringEquals/,
  denied: /could not assume .* with the External ID \(AccessDenied/,
  open: /can be assumed without the External ID/,
};

describe('role validation under hostile trust policies', () => {
  it(
    `gives each of ${RUNS} generated trust policies the verdict its condition implies`,
    async () => {
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(trustRecipe, async (recipe) => {
          // Prepare: a customer's offer, and a role whose trust policy the recipe writes.
          const customerId = uniqueCustomer();
          const accountId = randomAccountId();
          const setup = await openSetup(store, customerId);
          const otherSetup = await openSetup(store, uniqueCustomer());
          const trust = recipe(setup.externalId, otherSetup.externalId);
          seen.set(trust.kind, (seen.get(trust.kind) ?? 0) + 1);
          await sts.trust(`arn:aws:iam::${accountId}:role/KeylessAccess`, trust.condition);
          const life = wireLifecycle({ store, localOrigin: server.origin });
          const request = createRequest({
            customerId,
            accountId,
            externalId: setup.externalId,
            responseUrl: server.url,
            requestId: randomUUID(),
          });
          await life.registration.handle({
            deliveryId: randomUUID(),
            payload: request,
            topicRegion: 'us-east-1',
          });
          const event = bus.of(DETAIL_TYPES.roleRegistered, customerId, accountId).at(-1);
          if (!event) throw new Error('no Role Registered');
          // Act
          const outcome = await life.validator.validateRegistration(
            event.detail as DetailOf<typeof DETAIL_TYPES.roleRegistered>,
            { remainingMs: () => 600_000, eventId: event.id },
          );
          // Assess
          figures.add('hostileCases');
          const connection = await store.getConnection(customerId, accountId);
          const [answer] = server.answersFor(request.RequestId);
          if (trust.verdict === 'validated') {
            expect(outcome.kind, trust.kind).toBe('validated');
            expect(connection?.status).toBe('ACTIVE');
            expect(answer?.Status).toBe('SUCCESS');
          } else {
            expect(outcome.kind, trust.kind).toBe('rejected');
            expect(connection).toMatchObject({
              status: 'FAILED',
              lastError: expect.stringMatching(REASONS[trust.verdict]),
            });
            expect(answer).toMatchObject({
              Status: 'FAILED',
              Reason: expect.stringMatching(REASONS[trust.verdict]),
            });
          }
        }),
        { numRuns: RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
      );
      expect(seen.size).toBeGreaterThanOrEqual(6);
    },
    Math.max(60_000, RUNS * 400),
  );
});
