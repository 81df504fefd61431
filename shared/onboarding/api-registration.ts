/**
 * Registration without CloudFormation (docs/architecture.md §9.6): the provider's product sends the
 * ARN of a role the customer built with any tool (`POST /setups/{setupId}/registrations`), or the
 * Terraform module's `aws_lambda_invocation` does. The setup binds it: its customer, and its External
 * ID, which the role must require. The account is the role's own. The same decision and the same
 * validation as the CloudFormation path apply; only the answer differs, since no stack waits for one:
 * the connection (and `GET /setups/{setupId}`) shows the verdict.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionSource } from '../domain/connection.ts';
import { ROLE_ARN_PATTERN } from '../domain/sts-limits.ts';
import { NotFoundError } from '../errors.ts';
import { DEFAULT_ANSWER_WINDOW_MS } from './answer-deadline.ts';
import type { AnsweringDependencies } from './dependencies.ts';
import {
  createRegistrationHandler,
  type RegistrationOutcome,
  RegistrationRefusedError,
} from './registration.ts';
import { secureEquals } from './secure-compare.ts';

export interface RegisteredAccount {
  setupId: string;
  accountId: string;
  status: string;
}

/** Registration by API or Terraform, on the callback's own core built from the same dependencies. */
export function createApiRegistrations(
  deps: AnsweringDependencies & {
    /** How long the validator may take to settle a registration (it has no CloudFormation deadline). */
    answerWindowMs?: number;
  },
) {
  const { store, answerWindowMs = DEFAULT_ANSWER_WINDOW_MS } = deps;
  const registrar = createRegistrationHandler(deps);
  return {
    /**
     * Registers `roleArn` through the setup `setupId`. `expect` is what the caller asserts about the
     * setup (the Terraform module sends its customer and External ID): a mismatch is refused.
     */
    async register({
      setupId,
      roleArn,
      source,
      expect,
    }: {
      setupId: string;
      roleArn: string;
      source: Exclude<ConnectionSource, 'cloudformation'>;
      expect?: { customerId: string; externalId: string };
    }): Promise<{ outcome: RegistrationOutcome; account: RegisteredAccount }> {
      const setup = await store.findSetup(setupId);
      if (!setup) throw new NotFoundError(`No setup ${setupId}: ask for a new one (POST /setups).`);
      // Both compared, in constant time, before anything says which one differs.
      const sameCustomer = expect ? secureEquals(expect.customerId, setup.customerId) : true;
      const sameExternalId = expect ? secureEquals(expect.externalId, setup.externalId) : true;
      if (!(sameCustomer && sameExternalId)) {
        throw new RegistrationRefusedError(
          `The customer id and External ID do not match setup ${setupId}: use the values your provider issued with it.`,
        );
      }
      const accountId = ROLE_ARN_PATTERN.exec(roleArn)?.[2];
      if (!accountId) throw new RegistrationRefusedError(`${roleArn} is not an IAM role ARN.`);
      const existing = await store.getConnection(setup.customerId, accountId);
      const requestId = randomUUID();
      const requestType = existing && existing.status !== 'REVOKED' ? 'Update' : 'Create';
      const outcome = await registrar.register({
        requestId,
        requestType,
        customerId: setup.customerId,
        accountId,
        roleArn,
        externalId: setup.externalId,
        source,
        pendingFor: (at) => ({ requestId, requestType, deadline: at.getTime() + answerWindowMs }),
      });
      // A recorded registration awaits its proof; an unchanged one is what the connection is.
      const status = outcome.kind === 'unchanged' ? outcome.connection.status : 'REGISTERED';
      return { outcome, account: { setupId, accountId, status } };
    },
  };
}

export type ApiRegistrations = ReturnType<typeof createApiRegistrations>;
