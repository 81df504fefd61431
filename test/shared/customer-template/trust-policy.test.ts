/**
 * Evaluates the generated role's trust policy with a real IAM policy engine (@cloud-copilot/iam-simulate,
 * a dev-only dependency): assumable only by the provider's named roles and only with the exact External ID.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instantiateCustomerTemplate } from '#local/emulator/instantiate.ts';
import { buildCustomerTemplate } from '#shared/customer-template/template.ts';
import { generateExternalId } from '#shared/domain/external-id.ts';

const PROVIDER = '111111111111';
const CUSTOMER = '222222222222';
const ATTACKER = '333333333333';
const externalId = generateExternalId('acme-corp');
const template = buildCustomerTemplate({
  providerAccountId: PROVIDER,
  stage: 'prod',
  regions: ['us-east-1'],
});

const customerRole = (parameters: Record<string, string> = {}) =>
  instantiateCustomerTemplate(template, {
    accountId: CUSTOMER,
    region: 'us-east-1',
    parameters: { ExternalId: externalId, CustomerId: 'acme-corp', ...parameters },
  }).role;

const session = (account: string, roleName: string) =>
  `arn:aws:sts::${account}:assumed-role/${roleName}/keyless-acme-corp-1767225600`;
const VALIDATOR = session(PROVIDER, 'keyless-prod-role-validator');
const BROKER = session(PROVIDER, 'keyless-prod-credential-broker');

interface Request {
  principal: string;
  externalId?: string;
  action?: string;
  sourceIp?: string;
  role?: ReturnType<typeof customerRole>;
}

/** The decision on a cross-account request whose caller's own policy allows everything it asks. */
async function decide({
  principal,
  externalId,
  action = 'sts:AssumeRole',
  sourceIp,
  role = customerRole(),
}: Request) {
  const principalArn = principal.replace(
    /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.+$/,
    'arn:aws:iam::$1:role/$2',
  );
  const result = await runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource: role.arn, accountId: CUSTOMER },
        contextVariables: {
          'aws:PrincipalArn': principalArn,
          'aws:PrincipalAccount': principal.split(':')[4] ?? '',
          ...(externalId === undefined ? {} : { 'sts:ExternalId': externalId }),
          ...(sourceIp === undefined ? {} : { 'aws:SourceIp': sourceIp }),
        },
      },
      identityPolicies: [
        {
          name: 'caller',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] },
        },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: role.trustPolicy,
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(result.errors.message);
  return result.overallResult;
}

describe('the customer role trust policy', () => {
  it.each([
    ['the validator role', VALIDATOR],
    ['the broker role', BROKER],
  ])('lets %s assume the role with the exact External ID', async (_, principal) => {
    expect(await decide({ principal, externalId })).toBe('Allowed');
  });

  it('lets the provider roles set a source identity and tag the session with the External ID', async () => {
    expect(await decide({ principal: BROKER, externalId, action: 'sts:SetSourceIdentity' })).toBe('Allowed');
    expect(await decide({ principal: BROKER, externalId, action: 'sts:TagSession' })).toBe('Allowed');
  });

  it('refuses the provider roles without an External ID (no confused deputy)', async () => {
    expect(await decide({ principal: VALIDATOR })).toBe('ImplicitlyDenied');
    expect(await decide({ principal: BROKER })).toBe('ImplicitlyDenied');
  });

  it.each([
    ['another customer', generateExternalId('acme-corp')],
    ['a truncated one', externalId.slice(0, -1)],
    ['a longer one', `${externalId}0`],
    ['another case', externalId.toUpperCase()],
    ['an empty one', ''],
  ])('refuses the External ID of %s', async (_, wrongId) => {
    expect(await decide({ principal: VALIDATOR, externalId: wrongId })).toBe('ImplicitlyDenied');
  });

  it('refuses every External ID but the exact one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\w+=,.@:/-]{2,80}$/), async (candidate) => {
        fc.pre(candidate !== externalId);
        expect(await decide({ principal: BROKER, externalId: candidate })).toBe('ImplicitlyDenied');
      }),
      { numRuns: 40 },
    );
  });

  it.each([
    ['another role of the provider account', session(PROVIDER, 'keyless-prod-setup-api')],
    ['the provider roles of another stage', session(PROVIDER, 'keyless-dev-role-validator')],
    ['a role of the same name in another account', session(ATTACKER, 'keyless-prod-role-validator')],
    ['the provider account root user', `arn:aws:iam::${PROVIDER}:root`],
    ['a user of the provider account', `arn:aws:iam::${PROVIDER}:user/keyless-prod-role-validator`],
  ])('refuses %s even with the External ID', async (_, principal) => {
    expect(await decide({ principal, externalId })).toBe('ImplicitlyDenied');
  });

  it.each(['sts:SetSourceIdentity', 'sts:TagSession'])(
    'refuses %s to any other principal',
    async (action) => {
      for (const principal of [
        session(PROVIDER, 'keyless-prod-setup-api'),
        session(ATTACKER, 'keyless-prod-role-validator'),
      ]) {
        expect(await decide({ principal, externalId, action })).toBe('ImplicitlyDenied');
      }
    },
  );

  it('with AllowedSourceIp, refuses calls from outside the range', async () => {
    const role = customerRole({ AllowedSourceIp: '203.0.113.0/24' });
    expect(await decide({ principal: VALIDATOR, externalId, role, sourceIp: '203.0.113.17' })).toBe(
      'Allowed',
    );
    expect(await decide({ principal: VALIDATOR, externalId, role, sourceIp: '198.51.100.7' })).toBe(
      'ImplicitlyDenied',
    );
  });
});
