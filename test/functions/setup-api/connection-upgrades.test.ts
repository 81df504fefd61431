/**
 * GET /customers/{customerId}/connections once the template has moved on: each connection shows
 * the version its stack runs, and the upgrade when it is older (docs/architecture.md §9.3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSetupApiHandler } from '#functions/setup-api/factory.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { loadEvent, type Sample } from '../../support/events.ts';
import { createContext } from '../../support/lambda-context.ts';
import { activeConnection, uniqueCustomer } from '../../support/onboarding.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';

const TEMPLATE_URL = 'https://keyless-templates.s3.us-east-1.amazonaws.com/templates/v2.json';
const catalogue = {
  current: 2,
  parameters: ['ExternalId', 'CustomerId', 'RoleName', 'SetupPhase', 'AllowedSourceIp'],
  upgrades: {
    '1': {
      changes: ['Allows ce:GetCostForecast'],
      keptParameters: ['ExternalId', 'CustomerId', 'RoleName', 'SetupPhase', 'AllowedSourceIp'],
    },
  },
};
let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ReturnType<typeof createConnectionStore>;
let handler: ReturnType<typeof createSetupApiHandler>;

beforeAll(async () => {
  table = await createTestTable();
  handler = createSetupApiHandler(
    testPlatform({ table }),
    testConfig('setup-api', table.tableName, { TEMPLATE_URL, TEMPLATE_CATALOGUE: JSON.stringify(catalogue) }),
  );
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(() => table.drop());

type ApiEvent = Sample<'api/post-setups'>;
async function connectionsOf(customerId: string) {
  const base = loadEvent('api/post-setups');
  const event: ApiEvent = {
    ...base,
    rawPath: `/customers/${customerId}/connections`,
    requestContext: { ...base.requestContext, http: { ...base.requestContext.http, method: 'GET' } },
    body: undefined,
  };
  const response = await handler(event, createContext());
  return (JSON.parse(response.body) as { connections: Record<string, unknown>[] }).connections;
}

describe('GET /customers/{customerId}/connections with template versions', () => {
  it('shows an older stack its upgrade: the changes, the console link and the update command', async () => {
    const active = await activeConnection(store, { customerId: uniqueCustomer() });
    const [view] = await connectionsOf(active.customerId);
    expect(view).toMatchObject({
      accountId: active.accountId,
      templateVersion: '1',
      upgrade: {
        fromVersion: '1',
        toVersion: '2',
        changes: ['Allows ce:GetCostForecast'],
        updateUrl: expect.stringContaining('#/stacks/update/template?stackId='),
        updateCommand: expect.stringMatching(
          /^aws cloudformation update-stack --region us-east-1 --stack-name \S+ --template-url \S+v2\.json --parameters ParameterKey=ExternalId,UsePreviousValue=true .* --capabilities CAPABILITY_NAMED_IAM$/,
        ),
      },
    });
    expect(String((view?.upgrade as { updateUrl?: string } | undefined)?.updateUrl)).toContain(
      encodeURIComponent(TEMPLATE_URL),
    );
  });

  it('shows no upgrade for a stack on the current template', async () => {
    const active = await activeConnection(store, { customerId: uniqueCustomer() });
    await store.updateConnection({ connection: active, set: { templateVersion: '2' } });
    const [view] = await connectionsOf(active.customerId);
    expect(view).toMatchObject({ templateVersion: '2' });
    expect(view).not.toHaveProperty('upgrade');
  });
});
