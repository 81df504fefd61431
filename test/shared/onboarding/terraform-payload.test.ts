/**
 * The terraform-registration payload against the shapes the Terraform AWS provider documents for
 * `aws_lambda_invocation` with `lifecycle_scope = "CRUD"` (docs/architecture.md §9.5): the input
 * with `tf.action` create (prev_input null), update (prev_input the input before) and delete
 * (prev_input the input being destroyed), and nothing else.
 */
import { describe, expect, it } from 'vitest';
import {
  terraformPayload,
  terraformRegistrationPayloadSchema,
} from '#shared/onboarding/terraform-payload.ts';

const input = {
  customerId: 'acme-corp',
  setupId: '0b5e7a9c-6f0e-4c57-9d2e-1a2b3c4d5e6f',
  externalId: 'acme-corp-4b9d2f6a1c7e8d3b5a0f9e2c4d6b8a1f',
  roleArn: 'arn:aws:iam::222222222222:role/KeylessAccess',
  templateVersion: '4',
};
const changed = { ...input, roleArn: 'arn:aws:iam::222222222222:role/KeylessReports' };

describe('terraformRegistrationPayloadSchema', () => {
  it.each([
    ['create', { ...input, tf: { action: 'create', prev_input: null } }],
    ['update', { ...changed, tf: { action: 'update', prev_input: input } }],
    ['delete', { ...changed, tf: { action: 'delete', prev_input: changed } }],
  ])('accepts the provider’s documented %s payload', (_, payload) => {
    expect(terraformRegistrationPayloadSchema.parse(payload)).toEqual(payload);
  });

  it('builds the payloads as the provider does', () => {
    expect(terraformPayload('create', input, null)).toEqual({
      ...input,
      tf: { action: 'create', prev_input: null },
    });
    expect(terraformPayload('update', changed, input).tf?.prev_input).toEqual(input);
  });

  it('accepts the input alone (a CREATE_ONLY invocation) and without a template version', () => {
    const { templateVersion: _, ...unversioned } = input;
    expect(terraformRegistrationPayloadSchema.safeParse(unversioned).success).toBe(true);
  });

  it.each([
    ['an unknown action', { ...input, tf: { action: 'read', prev_input: null } }],
    ['an unknown key in tf', { ...input, tf: { action: 'create', prev_input: null, force: true } }],
    ['an unknown key in the input', { ...input, accountId: '222222222222' }],
    ['an unknown key in prev_input', { ...input, tf: { action: 'delete', prev_input: { ...input, x: 1 } } }],
    ['a role ARN that is no IAM role', { ...input, roleArn: 'arn:aws:iam::222222222222:user/me' }],
    ['a malformed setup id', { ...input, setupId: 'setup-1' }],
    ['a malformed External ID', { ...input, externalId: 'a b' }],
    ['a template version that is no number', { ...input, templateVersion: 'v4' }],
    ['a prev_input that is not the input', { ...input, tf: { action: 'update', prev_input: 'x' } }],
  ])('refuses %s', (_, payload) => {
    expect(terraformRegistrationPayloadSchema.safeParse(payload).success).toBe(false);
  });
});
