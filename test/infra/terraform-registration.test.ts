/**
 * The Terraform module's path in the stack (docs/architecture.md §9.6): customer accounts may invoke
 * terraform-registration, within the registration topic's allow-lists, and nothing else may.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from './support.ts';

const permissionsOf = (template: ReturnType<ReturnType<typeof buildTestApp>['template']>) =>
  Object.values(template.findResources('AWS::Lambda::Permission')) as {
    Properties: { Principal: string; PrincipalOrgID?: string; FunctionName: unknown; Action: string };
  }[];

describe('terraform-registration', () => {
  it('may be invoked by any account when no allow-list is set', () => {
    const template = buildTestApp().template();
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: '*',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('terraformregistration'), 'Arn'] },
    });
  });

  it('may be invoked only by the listed accounts, or by the Organization', () => {
    const listed = buildTestApp({
      context: { allowedCustomerAccounts: ['222233334444', '555566667777'] },
    }).template();
    expect(
      permissionsOf(listed)
        .filter(
          (p) => p.Properties.Action === 'lambda:InvokeFunction' && /^\d{12}$/.test(p.Properties.Principal),
        )
        .map((p) => p.Properties.Principal)
        .sort(),
    ).toEqual(['222233334444', '555566667777']);
    const organization = buildTestApp({ context: { allowedPrincipalOrgId: 'o-abcdefghij' } }).template();
    organization.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: '*',
      PrincipalOrgID: 'o-abcdefghij',
    });
  });
});
