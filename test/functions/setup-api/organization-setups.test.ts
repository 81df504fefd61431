/**
 * `POST /setups` with `scope: "organization"` (docs/architecture.md §9.7): the offer of today plus
 * the StackSet's template, parameters and the exact AWS CLI commands, with the launch link for the
 * management account; the setup stored with its scope and organization, and no expiry TTL.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSetupApiHandler } from '#functions/setup-api/factory.ts';
import { itemKeys, TTL_ATTRIBUTE } from '#shared/store/table-definition.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { loadEvent, type Sample } from '../../support/events.ts';
import { createContext } from '../../support/lambda-context.ts';
import { uniqueCustomer } from '../../support/onboarding.ts';
import { testConfig, testPlatform } from '../../support/platform.ts';

const TEMPLATE_URL = 'https://keyless-templates.s3.us-east-1.amazonaws.com/customer/v1.json';
let table: Awaited<ReturnType<typeof createTestTable>>;
let handler: ReturnType<typeof createSetupApiHandler>;

beforeAll(async () => {
  table = await createTestTable();
  handler = createSetupApiHandler(
    testPlatform({ table }),
    testConfig('setup-api', table.tableName, {
      TEMPLATE_URL,
      REGISTRATION_TOPIC_ARNS: JSON.stringify({
        'us-east-1': 'arn:aws:sns:us-east-1:999988887777:keyless-prod-registrations',
        'eu-west-1': 'arn:aws:sns:eu-west-1:999988887777:keyless-prod-registrations',
      }),
    }),
  );
});
afterAll(() => table.drop());

async function post(body: unknown) {
  const base: Sample<'api/post-setups'> = loadEvent('api/post-setups');
  const response = await handler({ ...base, body: JSON.stringify(body) }, createContext());
  return { statusCode: response.statusCode, body: JSON.parse(response.body) as Offer };
}
interface Offer {
  setupId: string;
  externalId: string;
  stackName: string;
  stackSet: { commands: string[] };
  [field: string]: unknown;
}

describe('POST /setups for an organization', () => {
  it('answers the StackSet commands for the chosen OUs in one region, and a launch link for the management account', async () => {
    // Prepare
    const customerId = uniqueCustomer();
    // Act
    const { statusCode, body } = await post({
      customerId,
      scope: 'organization',
      organizationId: 'o-acme000001',
      region: 'eu-west-1',
      organizationalUnitIds: ['ou-ab12-11111111', 'ou-ab12-22222222'],
    });
    // Assess
    expect(statusCode).toBe(201);
    const { externalId, stackName } = body;
    expect(body).toMatchObject({
      scope: 'organization',
      organizationId: 'o-acme000001',
      region: 'eu-west-1',
      launchUrl: expect.stringMatching(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudformation\//),
      stackSet: {
        stackSetName: stackName,
        templateUrl: TEMPLATE_URL,
        parameters: { ExternalId: externalId, CustomerId: customerId, SetupPhase: 'true' },
      },
    });
    expect(body.stackSet.commands).toEqual([
      'aws cloudformation activate-organizations-access',
      `aws cloudformation create-stack-set --region eu-west-1 --stack-set-name ${stackName} --template-url '${TEMPLATE_URL}' --permission-model SERVICE_MANAGED --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false --capabilities CAPABILITY_NAMED_IAM --parameters ParameterKey=ExternalId,ParameterValue=${externalId} ParameterKey=CustomerId,ParameterValue=${customerId} ParameterKey=SetupPhase,ParameterValue=true`,
      `aws cloudformation create-stack-instances --region eu-west-1 --stack-set-name ${stackName} --deployment-targets OrganizationalUnitIds=ou-ab12-11111111,ou-ab12-22222222 --regions eu-west-1 --operation-preferences MaxConcurrentCount=5,FailureToleranceCount=4`,
    ]);
    // Stored with its scope and organization, and kept past its expiry (no TTL).
    const { Item } = await table.documentClient.send(
      new GetCommand({ TableName: table.tableName, Key: itemKeys.setup(customerId, body.setupId) }),
    );
    expect(Item).toMatchObject({ scope: 'organization', organizationId: 'o-acme000001' });
    expect(Item).not.toHaveProperty(TTL_ATTRIBUTE);
  });

  it("targets the organization's root when no OU is chosen, and leaves the organization to the first member", async () => {
    const { statusCode, body } = await post({ customerId: uniqueCustomer(), scope: 'organization' });
    expect(statusCode).toBe(201);
    expect(body).not.toHaveProperty('organizationId');
    expect(body.stackSet.commands[2]).toContain(
      `--deployment-targets OrganizationalUnitIds="$(aws organizations list-roots --query 'Roots[0].Id' --output text)" --regions us-east-1`,
    );
  });

  it('answers an account setup as before, with no StackSet', async () => {
    const { statusCode, body } = await post({ customerId: uniqueCustomer() });
    expect(statusCode).toBe(201);
    expect(body).not.toHaveProperty('stackSet');
    expect(body).not.toHaveProperty('scope');
  });

  it.each([
    [
      'an organization id without the organization scope',
      { organizationId: 'o-acme000001' },
      'organizationId',
    ],
    ['a malformed organization id', { scope: 'organization', organizationId: 'o-ACME' }, 'organizationId'],
    ['an unknown scope', { scope: 'everything' }, 'scope'],
    ['an OU list of a plain setup', { organizationalUnitIds: ['ou-ab12-11111111'] }, 'organizationalUnitIds'],
    [
      'an account id as an OU',
      { scope: 'organization', organizationalUnitIds: ['111122223333'] },
      'organizationalUnitIds',
    ],
  ])('answers 400 naming the field for %s', async (_what, input, field) => {
    const { statusCode, body } = await post({ customerId: uniqueCustomer(), ...input });
    expect(statusCode).toBe(400);
    expect(JSON.stringify(body)).toContain(field);
  });
});
