/**
 * What the Terraform module's `aws_lambda_invocation` sends the provider's terraform-registration
 * function (docs/architecture.md §9.5): the module's own input, and — with `lifecycle_scope = "CRUD"` —
 * the `tf` object the Terraform AWS provider adds: `action` (create, update, delete) and `prev_input`,
 * the input of the invocation before (null on create; on delete, the input being destroyed).
 *
 * Every field is the customer's to write: anyone the function's resource policy admits can invoke it
 * with any payload, `tf` included. The schema only says what is well formed; the handler decides
 * what a payload may change.
 */
import * as z from 'zod/mini';
import { TEMPLATE_VERSION_PATTERN } from '../customer-template/catalogue.ts';
import { customerIdSchema, externalIdSchema, roleArnSchema, setupIdSchema } from '../domain/identifiers.ts';

export const TERRAFORM_ACTIONS = ['create', 'update', 'delete'] as const;
export type TerraformAction = (typeof TERRAFORM_ACTIONS)[number];

/** The module's `input`: jsonencode({ customerId, setupId, externalId, roleArn, templateVersion }). */
export const terraformRegistrationInputSchema = z.strictObject({
  customerId: customerIdSchema,
  setupId: setupIdSchema,
  externalId: externalIdSchema,
  roleArn: roleArnSchema,
  templateVersion: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(z.regex(TEMPLATE_VERSION_PATTERN, 'must be the template version number, such as "3"')),
  ),
});
export type TerraformRegistrationInput = z.output<typeof terraformRegistrationInputSchema>;

export const terraformRegistrationPayloadSchema = z.extend(terraformRegistrationInputSchema, {
  tf: z.optional(
    z.strictObject({
      action: z.enum(TERRAFORM_ACTIONS, { error: 'must be create, update or delete' }),
      // The provider sends null on create (no invocation before this one).
      prev_input: z.optional(z.nullable(terraformRegistrationInputSchema)),
    }),
  ),
});
export type TerraformRegistrationPayload = z.output<typeof terraformRegistrationPayloadSchema>;

/** The payload the provider builds for `action` from the new input and the previous one, as its source does. */
export function terraformPayload(
  action: TerraformAction,
  input: TerraformRegistrationInput,
  previous: TerraformRegistrationInput | null,
): TerraformRegistrationPayload {
  return { ...input, tf: { action, prev_input: previous } };
}
