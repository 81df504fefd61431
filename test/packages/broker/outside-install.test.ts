/**
 * @keyless/broker as a worker in another repository gets it: `npm pack`, the tarball installed
 * into a temporary project outside this repository, and that project's own code — type-checked
 * against the published declarations, then run on plain Node — vending credentials for an ACTIVE
 * connection of the local system (DynamoDB Local, the local STS) and refused for a REVOKED one.
 * The tarball's dependencies are linked from this repository's node_modules, so nothing is
 * downloaded.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { instantiateCustomerTemplate } from '#local/emulator/instantiate.ts';
import { createLocalSts, type LocalSts } from '#local/emulator/sts.ts';
import { type LocalStsServer, startLocalStsServer } from '#local/emulator/sts-server.ts';
import {
  buildCustomerTemplate,
  resolveCustomerTemplateConfig,
  trustedPrincipalArns,
} from '#shared/customer-template/template.ts';
import { type ConnectionStore, createConnectionStore } from '#shared/store/connection-store.ts';
import { buildRoleConnection, buildSetup } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';

const run = promisify(execFile);
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGE_DIR = join(REPOSITORY, 'packages', 'broker');
const PROVIDER_ACCOUNT_ID = '999988887777';
const audit = { actor: 'test', reason: 'outside install' } as const;
const templateConfig = resolveCustomerTemplateConfig({
  providerAccountId: PROVIDER_ACCOUNT_ID,
  stage: 'local',
  regions: ['us-east-1'],
});

/** What the other repository's worker does: the README's example, on plain Node. */
const WORKER_JS = `
import { createBrokerFromEnvironment } from '@keyless/broker';
import { ConnectionRevokedError, isPermanentRefusal } from '@keyless/broker/errors';

const broker = createBrokerFromEnvironment();
const [active, revoked] = JSON.parse(process.argv[2]);
const credentials = await broker.credentialsFor(active)();
let refusal;
try {
  await broker.credentialsFor(revoked)();
} catch (error) {
  refusal = { name: error.name, revoked: error instanceof ConnectionRevokedError, permanent: isPermanentRefusal(error) };
}
console.log(JSON.stringify({ accountId: credentials.accountId, keyPrefix: credentials.accessKeyId.slice(0, 4), refusal }));
`;

/** The same use, in TypeScript: the published declarations must type it, and refuse a bad request. */
const WORKER_TS = `
import { type CredentialBroker, type CredentialRequest, createBrokerFromEnvironment } from '@keyless/broker';
import { ConnectionRevokedError, isPermanentRefusal } from '@keyless/broker/errors';

const broker: CredentialBroker = createBrokerFromEnvironment({ env: { TABLE_NAME: 'keyless' } });
const request: CredentialRequest = { customerId: 'acme', accountId: '111122223333', durationSeconds: 900 };
export const provider: () => Promise<{ accessKeyId: string; expiration?: Date }> = broker.credentialsFor(request);
export const refused = (error: unknown): boolean => error instanceof ConnectionRevokedError || isPermanentRefusal(error);
// @ts-expect-error an account id is a string
broker.credentialsFor({ customerId: 'acme', accountId: 111122223333 });
`;

let table: Awaited<ReturnType<typeof createTestTable>>;
let sts: LocalSts;
let stsServer: LocalStsServer;
let store: ConnectionStore;
let project: string;

beforeAll(async () => {
  table = await createTestTable();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
  sts = createLocalSts({
    providerAccountId: PROVIDER_ACCOUNT_ID,
    providerRoleArn: trustedPrincipalArns(templateConfig)[1] as string,
  });
  stsServer = await startLocalStsServer(sts);
  project = await mkdtemp(join(tmpdir(), 'keyless-outside-'));
});
afterAll(async () => {
  await stsServer.stop();
  await table.drop();
  await rm(project, { recursive: true, force: true });
});

/** A clean environment: nothing of this repository's npm settings or Node flags leaks in. */
function cleanEnv(extra: Record<string, string> = {}) {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? project, ...extra };
}

async function connection(status: 'ACTIVE' | 'REVOKED') {
  const customerId = `outside-${Math.random().toString(36).slice(2, 10)}`;
  const setup = await store.putSetup(buildSetup({ customerId }));
  const built = buildRoleConnection({ customerId });
  const { role } = instantiateCustomerTemplate(buildCustomerTemplate(templateConfig), {
    accountId: built.accountId,
    region: 'us-east-1',
    parameters: { ExternalId: built.externalId, CustomerId: customerId },
  });
  await sts.putRole({
    arn: role.arn,
    trustPolicy: role.trustPolicy,
    maxSessionDuration: role.maxSessionDuration,
  });
  const registered = await store.registerConnection({ connection: built, setup, audit });
  const active = await store.updateConnection({ connection: registered, to: 'ACTIVE', audit });
  if (status === 'ACTIVE') return active;
  return store.updateConnection({ connection: active, to: 'REVOKED', audit });
}

describe('@keyless/broker installed from its tarball', () => {
  it('vends for an ACTIVE connection and refuses a REVOKED one, from a project outside the repository', async () => {
    // Prepare: pack (its prepack builds JavaScript and declarations), install offline, write the worker.
    const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', project], {
      cwd: PACKAGE_DIR,
      env: cleanEnv(),
    });
    const [{ filename, files }] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
    const manifest = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const linked = Object.fromEntries(
      Object.keys(manifest.dependencies).map((name) => [
        name,
        `file:${join(REPOSITORY, 'node_modules', name)}`,
      ]),
    );
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'outside-worker',
        private: true,
        type: 'module',
        dependencies: { '@keyless/broker': `file:./${filename}`, ...linked },
      }),
    );
    await run(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'],
      {
        cwd: project,
        env: cleanEnv(),
      },
    );
    await writeFile(join(project, 'worker.mjs'), WORKER_JS);
    await writeFile(join(project, 'worker.ts'), WORKER_TS);
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['worker.ts'],
      }),
    );
    const [active, revoked] = [await connection('ACTIVE'), await connection('REVOKED')];

    // Act
    const typecheck = await run(join(REPOSITORY, 'node_modules', '.bin', 'tsc'), ['-p', project], {
      cwd: project,
      env: cleanEnv(),
    }).then(
      () => 'ok',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    const { stdout } = await run(
      process.execPath,
      [
        'worker.mjs',
        JSON.stringify([active, revoked].map(({ customerId, accountId }) => ({ customerId, accountId }))),
      ],
      {
        cwd: project,
        env: cleanEnv({
          TABLE_NAME: table.tableName,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
          AWS_ENDPOINT_URL_STS: stsServer.endpoint,
          AWS_LAMBDA_FUNCTION_NAME: 'outside-worker',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        }),
      },
    );

    // Assess: only built files ship; the worker's types hold; the local system answered both ways.
    expect(
      files.every(({ path }) => path.startsWith('dist/') || ['package.json', 'README.md'].includes(path)),
    ).toBe(true);
    expect(typecheck).toBe('ok');
    expect(JSON.parse(stdout)).toEqual({
      accountId: active.accountId,
      keyPrefix: 'ASIA',
      refusal: { name: 'ConnectionRevokedError', revoked: true, permanent: true },
    });
  });
});
