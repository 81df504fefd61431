/**
 * Races and duplicates (docs/architecture.md §4, §5 and §6, invariants 3 and 9): many connections, each driven through its
 * lifecycle — Create, validation, optionally an External ID rotation (Update) and its
 * validation, then stack deletion (Delete, Integration Stack Deleted and a forwarded stack status
 * change) — with every message delivered 1–3 times, concurrently, in shuffled order, and late
 * redeliveries of earlier messages mixed into later phases. Each phase starts only once
 * CloudFormation could have sent it (the previous request was answered), as in production.
 *
 * At the end: the state is the one the last legitimate event implies, REVOKED is never undone,
 * exactly one audit entry per real transition (versions consecutive), every request that needs
 * an answer got exactly one, and no record is missing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '#bench/harness/random.ts';
import type { RevocationInput } from '#functions/revocation/factory.ts';
import type { ValidatorInput } from '#functions/role-validator/factory.ts';
import type { CustomResourceRequest } from '#shared/cloudformation/request.ts';
import { DETAIL_TYPES } from '#shared/events/catalog.ts';
import { randomAccountId } from '../support/builders.ts';
import { createContext } from '../support/lambda-context.ts';
import { createRequest, followUp, openSetup, stackIdFor, uniqueCustomer } from '../support/onboarding.ts';
import { createFigures } from './support/figures.ts';
import { RACE_CONNECTIONS } from './support/settings.ts';
import { simulateEventBridge, simulateSts } from './support/simulated-aws.ts';
import { createWorld, type World } from './support/world.ts';

const sts = simulateSts();
const bus = simulateEventBridge();
const figures = createFigures(import.meta.filename);
const CONCURRENT_CONNECTIONS = 10;

let world: World;
beforeAll(async () => {
  world = await createWorld('keyless-races');
});
afterAll(async () => {
  figures.add('outboundObserved', world.outbound.wire.length);
  figures.add('forbiddenOutbound', world.outbound.forbidden().length);
  figures.write();
  await world.close();
});

// Seeded (mulberry32, shared with the benchmarks), so a failing race can be replayed with KEYLESS_RACE_SEED.
const SEED = Number(process.env.KEYLESS_RACE_SEED ?? Math.floor(Math.random() * 2 ** 31));

type Delivery = () => Promise<unknown>;

function lifecycle(random: () => number) {
  const times = () => 1 + Math.floor(random() * 3);
  const shuffle = <T>(items: T[]) => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  };
  /** Everything delivered so far, for late redeliveries in later phases. */
  const history: Delivery[] = [];
  let deliveries = 0;
  let redeliveries = 0;

  /** Runs every delivery of a phase concurrently, each 1–3 times, plus up to 3 late redeliveries. */
  async function phase(messages: Delivery[]) {
    const batch: Delivery[] = [];
    for (const message of messages) {
      const n = times();
      for (let i = 0; i < n; i++) batch.push(message);
      redeliveries += n - 1;
    }
    const late = Math.floor(random() * 4);
    for (let i = 0; i < late && history.length > 0; i++) {
      batch.push(history[Math.floor(random() * history.length)]!);
      redeliveries++;
    }
    history.push(...messages);
    deliveries += batch.length;
    const results = await Promise.allSettled(shuffle(batch).map((deliver) => deliver()));
    return results;
  }
  return { phase, stats: () => ({ deliveries, redeliveries }), random };
}

const { callback, validator, revocation } = {
  callback: (request: CustomResourceRequest) => world.handlers.callback(request, createContext()),
  validator: (event: unknown) => world.handlers.validator(event as ValidatorInput, createContext()),
  revocation: (event: unknown) => world.handlers.revocation(event as RevocationInput, createContext()),
};

async function raceOne(random: () => number) {
  const { store, outbound } = world;
  const run = lifecycle(random);
  const customerId = uniqueCustomer();
  const accountId = randomAccountId();
  const stackId = stackIdFor(accountId);
  const roleArn = `arn:aws:iam::${accountId}:role/KeylessAccess`;
  const setup = await openSetup(store, customerId);
  const rotate = random() < 0.5;
  const deleteStack = random() < 0.8;
  const expected: { from: string; to: string }[] = [];
  const needsOneAnswer: string[] = [];
  const deletes: string[] = [];

  // Create, delivered 1–3 times; the stack's role trusts the setup's External ID.
  await sts.trust(roleArn, setup.externalId);
  const create = createRequest({
    customerId,
    accountId,
    externalId: setup.externalId,
    responseUrl: world.recorder.url,
    stackId,
  });
  needsOneAnswer.push(create.RequestId);
  await run.phase([() => callback(create)]);
  expected.push({ from: 'NONE', to: 'REGISTERED' });

  // Role Registered, delivered 1–3 times (what the callback published, duplicates included).
  const registered = bus.of(DETAIL_TYPES.roleRegistered, customerId, accountId);
  await run.phase(registered.map((event) => () => validator(event)));
  expected.push({ from: 'REGISTERED', to: 'ACTIVE' });

  let previous = create;
  if (rotate) {
    // An External ID rotation: the stack update brings the new ID and the trust policy follows.
    const rotation = await openSetup(store, customerId, { rotatesAccountId: accountId });
    await sts.trust(roleArn, rotation.externalId);
    const update = followUp('Update', create, world.recorder.url, { ExternalId: rotation.externalId });
    needsOneAnswer.push(update.RequestId);
    const before = bus.delivered.length;
    await run.phase([() => callback(update)]);
    expected.push({ from: 'ACTIVE', to: 'ACTIVE' }); // the change to prove, recorded
    const rotationEvents = bus.delivered
      .slice(before)
      .filter(
        (e) =>
          e['detail-type'] === DETAIL_TYPES.roleRegistered && e.detail.correlationId === update.RequestId,
      );
    await run.phase(rotationEvents.map((event) => () => validator(event)));
    expected.push({ from: 'ACTIVE', to: 'ACTIVE' }); // proven and switched
    previous = update;
  }

  if (deleteStack) {
    const del = followUp('Delete', previous, world.recorder.url);
    deletes.push(del.RequestId);
    await run.phase([() => callback(del)]);
    const deleted = bus.of(DETAIL_TYPES.integrationStackDeleted, customerId, accountId);
    const statusChange = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'CloudFormation Stack Status Change',
      source: 'aws.cloudformation',
      account: accountId,
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [stackId],
      detail: { 'stack-id': stackId, 'status-details': { status: 'DELETE_COMPLETE', 'status-reason': '' } },
    };
    await run.phase([...deleted.map((event) => () => revocation(event)), () => revocation(statusChange)]);
    expected.push({ from: 'ACTIVE', to: 'REVOKED' });
    // After revocation, every earlier message arrives once more: nothing may bring it back.
    await run.phase([]);
    await run.phase([() => callback(create), ...registered.map((event) => () => validator(event))]);
  }

  // Assess
  const { connections, audit } = await world.snapshot(customerId);
  const answers = (requestId: string) => outbound.answersFor(requestId);
  const lost =
    (connections.length === 1 ? 0 : 1) +
    Math.max(0, expected.length - audit.length) +
    (deleteStack && bus.of(DETAIL_TYPES.accessRevoked, customerId, accountId).length === 0 ? 1 : 0);
  const unanswered = [...needsOneAnswer, ...deletes].filter((id) => answers(id).length === 0).length;
  figures.add('recordsLost', lost);
  figures.add('unansweredRequests', unanswered);
  figures.add('racesRun');
  figures.add('raceDeliveries', run.stats().deliveries);
  figures.add('redeliveries', run.stats().redeliveries);

  const context = `customer ${customerId} (seed ${SEED})`;
  expect(connections, context).toHaveLength(1);
  const [connection] = connections;
  expect(connection, context).toMatchObject({
    status: deleteStack ? 'REVOKED' : 'ACTIVE',
    externalId: sts.trustedId(roleArn),
  });
  expect(connection, context).not.toHaveProperty('pendingAnswer');
  const trail = [...audit].sort((a, b) => a.version - b.version);
  expect(
    trail.map((entry) => ({ from: entry.from, to: entry.to })),
    context,
  ).toEqual(expected);
  expect(
    trail.map((entry) => entry.version),
    context,
  ).toEqual(expected.map((_, i) => i + 1));
  expect(connection?.version, context).toBe(expected.length);
  for (const requestId of needsOneAnswer) {
    expect(answers(requestId), `${context}: answers to ${requestId}`).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: `keyless-${customerId}-${accountId}`,
      }),
    ]);
  }
  for (const requestId of deletes) {
    const deleteAnswers = answers(requestId);
    expect(deleteAnswers.length, context).toBeGreaterThanOrEqual(1);
    for (const answer of deleteAnswers) expect(answer, context).toMatchObject({ Status: 'SUCCESS' });
  }
  if (deleteStack) {
    expect(bus.of(DETAIL_TYPES.accessRevoked, customerId, accountId), context).toHaveLength(1);
  }
  expect(outbound.forbidden(), context).toEqual([]);
}

describe('lifecycle races and duplicate deliveries', () => {
  it(
    `settles ${RACE_CONNECTIONS} connections raced through duplicated, reordered events exactly as the last legitimate event implies`,
    async () => {
      const random = seededRandom(SEED);
      for (let started = 0; started < RACE_CONNECTIONS; started += CONCURRENT_CONNECTIONS) {
        const batch = Math.min(CONCURRENT_CONNECTIONS, RACE_CONNECTIONS - started);
        // Each connection gets its own stream of random decisions, so the batch can interleave freely.
        const seeds = Array.from({ length: batch }, () => Math.floor(random() * 2 ** 31));
        await Promise.all(seeds.map((seed) => raceOne(seededRandom(seed))));
      }
      expect(figures.figures.racesRun).toBe(RACE_CONNECTIONS);
    },
    Math.max(60_000, RACE_CONNECTIONS * 2_000),
  );
});
