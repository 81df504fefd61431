/**
 * The Terraform module's lifecycle (docs/architecture.md §9.5, §9.6): its `aws_lambda_invocation`
 * with `lifecycle_scope = "CRUD"` registers on `terraform apply`, registers again when the role or
 * the External ID changes, and revokes on `terraform destroy`. Anyone the function's resource policy
 * admits can invoke it with any payload, so the same rules as the callback apply: the account is
 * the role's own, the setup's customer and External ID must match, and a delete is honoured only for
 * a connection this module registered, with the same role and External ID.
 */
import { ROLE_ARN_PATTERN } from '../domain/sts-limits.ts';
import type { ConnectionStore } from '../store/connection-store.ts';
import type { ApiRegistrations } from './api-registration.ts';
import { parseInput } from './parse-input.ts';
import type { Revoker } from './revocation.ts';
import { secureEquals } from './secure-compare.ts';
import { terraformRegistrationPayloadSchema } from './terraform-payload.ts';

export interface TerraformRegistrationAnswer {
  action: 'create' | 'update' | 'delete';
  setupId: string;
  accountId: string;
  status: string;
}

export function createTerraformRegistration({
  registrations,
  store,
  revoker,
}: {
  registrations: ApiRegistrations;
  store: Pick<ConnectionStore, 'getConnection'>;
  revoker: Pick<Revoker, 'revoke'>;
}) {
  return {
    /** One invocation: throws (the apply or destroy fails with the message) when refused. */
    async handle(event: unknown, requestId: string): Promise<TerraformRegistrationAnswer> {
      const payload = parseInput(terraformRegistrationPayloadSchema, event);
      const action = payload.tf?.action ?? 'create';
      const accountId = ROLE_ARN_PATTERN.exec(payload.roleArn)?.[2] ?? '';
      if (action !== 'delete') {
        const { account } = await registrations.register({
          setupId: payload.setupId,
          roleArn: payload.roleArn,
          source: 'terraform',
          expect: { customerId: payload.customerId, externalId: payload.externalId },
        });
        return { action, ...account };
      }
      // terraform destroy: only this module's connection, with its role and its External ID.
      const connection = await store.getConnection(payload.customerId, accountId);
      const sameExternalId =
        connection?.authMethod === 'ROLE' ? secureEquals(connection.externalId, payload.externalId) : false;
      const honoured =
        connection?.authMethod === 'ROLE' &&
        connection.source === 'terraform' &&
        connection.roleArn === payload.roleArn &&
        sameExternalId &&
        connection.status !== 'REVOKED';
      if (!honoured) {
        // A forged or repeated delete changes nothing, and says nothing about what is stored.
        return { action, setupId: payload.setupId, accountId, status: 'UNCHANGED' };
      }
      const outcome = await revoker.revoke({
        customerId: payload.customerId,
        accountId,
        actor: 'registration-terraform',
        reason: 'terraform destroy',
        sourceEventId: requestId,
      });
      return { action, setupId: payload.setupId, accountId, status: outcome.connection?.status ?? 'REVOKED' };
    },
  };
}
