/**
 * Log hygiene (docs/architecture.md §6, invariant 6): a canary secret key stored for a legacy connection, and the
 * credentials STS returns, never appear in a log line (DEBUG level, every handler and the
 * broker), an event or a stored item, even when a vend fails or an object carrying credentials
 * is handed to the logger by mistake.
 */

import { STSClient } from '@aws-sdk/client-sts';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createCredentialBroker } from '@keyless/broker';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ValidatorInput } from '#functions/role-validator/factory.ts';
import type { CustomResourceRequest } from '#shared/cloudformation/request.ts';
import { DETAIL_TYPES } from '#shared/events/catalog.ts';
import { createLegacyKeyReader } from '#shared/legacy/legacy-keys.ts';
import { createLogger } from '#shared/observability.ts';
import { captureOutput } from '../shared/broker/support/capture-output.ts';
import { buildLegacyConnection } from '../support/builders.ts';
import { createContext } from '../support/lambda-context.ts';
import { createRequest, openSetup, uniqueCustomer } from '../support/onboarding.ts';
import { createFigures } from './support/figures.ts';
import { simulateEventBridge, simulateSts } from './support/simulated-aws.ts';
import { createWorld, type World } from './support/world.ts';

const CANARY_SECRET = 'CANARYlegacySECRETkey-7f3e9a1c-never-logged';
const CANARY_KEY_ID = 'AKIACANARY7F3E9A1C00';
const sts = simulateSts();
const bus = simulateEventBridge();
const figures = createFigures(import.meta.filename);
const previousLevel = process.env.POWERTOOLS_LOG_LEVEL;

let world: World;
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  // Every logger in this file, the handlers' included, logs everything.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  world = await createWorld('keyless-log-hygiene');
});
afterAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = previousLevel;
  figures.add('outboundObserved', world.outbound.wire.length);
  figures.add('forbiddenOutbound', world.outbound.forbidden().length);
  figures.write();
  await world.close();
});
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

/** Everything the run could have leaked into: logs, events and every item of the table. */
async function everythingWritten() {
  const { Items = [] } = await world.table.documentClient.send(
    new ScanCommand({ TableName: world.table.tableName }),
  );
  const lines = output.text().split('\n');
  figures.add('logLinesChecked', lines.length);
  return [output.text(), JSON.stringify(bus.delivered), JSON.stringify(Items)].join('\n');
}

function leaks(text: string, secrets: string[]) {
  const found = secrets.filter((secret) => text.includes(secret));
  figures.add('canaryLeaks', found.length);
  return found;
}

describe('log hygiene', () => {
  it('never writes a legacy canary key to a log, an event or the table across vends, failures and migration', async () => {
    // Prepare: a legacy connection whose secret holds the canary.
    const customerId = uniqueCustomer();
    const legacy = await world.store.createLegacyConnection(buildLegacyConnection({ customerId }), {
      actor: 'test',
      reason: 'legacy customer',
    });
    const secrets: Record<string, string> = {
      [legacy.secretRef]: JSON.stringify({ accessKeyId: CANARY_KEY_ID, secretAccessKey: CANARY_SECRET }),
      broken: JSON.stringify({ accessKeyId: 'not-a-key-id', secretAccessKey: CANARY_SECRET }),
      'not-json': `secretAccessKey=${CANARY_SECRET}`,
    };
    const logger = createLogger('example-worker');
    const broker = createCredentialBroker({
      store: world.store,
      sts: new STSClient({}),
      legacyKeys: createLegacyKeyReader({
        provider: { get: async (name: string) => secrets[name] } as never,
      }),
      serviceName: 'keyless',
      sourceIdentity: 'report-worker',
      logger,
    });
    // Act: vends, a vend whose secret is malformed (logged with the error), then the migration.
    const vended = await broker.getCredentials({ customerId, accountId: legacy.accountId });
    await broker.getCredentials({ customerId, accountId: legacy.accountId });
    for (const secretRef of ['broken', 'not-json']) {
      const reader = createLegacyKeyReader({ provider: { get: async () => secrets[secretRef] } as never });
      const error = await reader.read(secretRef).catch((e: unknown) => e);
      logger.error('Legacy vend failed', { error });
    }
    const setup = await openSetup(world.store, customerId);
    const roleArn = `arn:aws:iam::${legacy.accountId}:role/KeylessAccess`;
    await sts.trust(roleArn, setup.externalId);
    const request = createRequest({
      customerId,
      accountId: legacy.accountId,
      externalId: setup.externalId,
      responseUrl: world.recorder.url,
    });
    await world.handlers.callback(request as CustomResourceRequest, createContext());
    const [registered] = bus.of(DETAIL_TYPES.roleRegistered, customerId, legacy.accountId);
    await world.handlers.validator(registered as unknown as ValidatorInput, createContext());
    // Assess
    expect(vended.secretAccessKey).toBe(CANARY_SECRET);
    expect(await world.store.getConnection(customerId, legacy.accountId)).toMatchObject({
      authMethod: 'ROLE',
    });
    expect(
      output.records().some((r) => r.message === 'Deprecated: connection still uses long-lived access keys'),
    ).toBe(true);
    // The handlers logged too (at DEBUG), so their lines were searched as well.
    const messages = output.records().map((r) => String(r.message));
    expect(messages).toEqual(
      expect.arrayContaining(['Registration recorded; validation pending', 'Role proof settled']),
    );
    expect(leaks(await everythingWritten(), [CANARY_SECRET])).toEqual([]);
  });

  it('never logs the credentials STS returned to the validator or the broker', async () => {
    // Prepare: an ACTIVE connection proven by the validator with simulated STS credentials.
    const customerId = uniqueCustomer();
    const accountId = '314159265358';
    const setup = await openSetup(world.store, customerId);
    await sts.trust(`arn:aws:iam::${accountId}:role/KeylessAccess`, setup.externalId);
    const request = createRequest({
      customerId,
      accountId,
      externalId: setup.externalId,
      responseUrl: world.recorder.url,
    });
    await world.handlers.callback(request as CustomResourceRequest, createContext());
    const [registered] = bus.of(DETAIL_TYPES.roleRegistered, customerId, accountId);
    await world.handlers.validator(registered as unknown as ValidatorInput, createContext());
    const broker = createCredentialBroker({
      store: world.store,
      sts: new STSClient({}),
      legacyKeys: createLegacyKeyReader({ provider: { get: async () => undefined } as never }),
      serviceName: 'keyless',
      sourceIdentity: 'report-worker',
      logger: createLogger('example-worker'),
    });
    // Act
    const credentials = await broker.getCredentials({ customerId, accountId });
    // Assess: the secrets and tokens STS issued (the validator's and the broker's) appear nowhere.
    const secrets = sts.issuedSecrets();
    expect(secrets).toContain(credentials.secretAccessKey);
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    expect(leaks(await everythingWritten(), secrets)).toEqual([]);
  });

  it('redacts credentials handed to the Powertools logger by mistake (an AssumeRole result, a secret)', () => {
    // Prepare
    const logger = createLogger('careless-worker');
    // Act
    logger.debug('AssumeRole result', {
      output: {
        Credentials: {
          AccessKeyId: 'ASIAEXAMPLE',
          SecretAccessKey: CANARY_SECRET,
          SessionToken: `${CANARY_SECRET}-token`,
        },
      },
    });
    logger.info('Legacy keys', { keys: { accessKeyId: CANARY_KEY_ID, secretAccessKey: CANARY_SECRET } });
    logger.warn('Secret value', { SecretString: CANARY_SECRET });
    // Assess
    const records = output.records();
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      output: {
        Credentials: {
          AccessKeyId: 'ASIAEXAMPLE',
          SecretAccessKey: '[redacted]',
          SessionToken: '[redacted]',
        },
      },
    });
    expect(leaks(output.text(), [CANARY_SECRET])).toEqual([]);
  });
});
