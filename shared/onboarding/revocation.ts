/**
 * Revocation: a connection becomes REVOKED (conditional write with its audit entry) and
 * `Access Revoked` is emitted. Triggered by the customer's stack deletion (`Integration Stack
 * Deleted` from the callback, or a forwarded "CloudFormation Stack Status Change" with a DELETE
 * status) or by hand through the API. Unknown stacks and repeats change nothing.
 */

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type * as z from 'zod/mini';
import { sleep } from '../backoff.ts';
import { type AnswerSender, failedAnswer } from '../cloudformation/answer.ts';
import { parseStackArn } from '../cloudformation/stack-arn.ts';
import {
  type Connection,
  type ConnectionStatus,
  cloudFormationTargetOf,
  PENDING_FIELDS,
  type PendingCloudFormationAnswer,
  withAnsweredRequest,
} from '../domain/connection.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { DETAIL_TYPES, type DetailOf, type stackStatusChangeSchema } from '../events/catalog.ts';
import { STACK_DELETE_STATUSES } from '../events/rules.ts';
import type { OnboardingDependencies } from './dependencies.ts';

export type RevocationOutcome =
  | { kind: 'revoked'; connection: Connection }
  | { kind: 'unchanged'; reason: string; connection?: Connection };

export interface RevokeInput {
  customerId: string;
  accountId: string;
  actor: string;
  reason: string;
  /** The id of the event or request that caused it (audit and event correlation). */
  sourceEventId: string;
  /** Only revoke the connection this stack registered (a second stack's deletion changes nothing). */
  stackId?: string;
  /** The statuses that may be revoked; stack deletions leave FAILED connections (they grant nothing) alone. */
  from?: readonly ConnectionStatus[];
}

/** How often a revocation decides again after losing a race before it lets the platform retry it. */
const REVOKE_ATTEMPTS = 10;

/** What a stack deletion revokes: connections that grant access or are about to. */
const LIVE_STATUSES: readonly ConnectionStatus[] = ['ACTIVE', 'BROKEN', 'REGISTERED'];

/**
 * With `answers`, a revocation that lands while CloudFormation still waits for the answer to a
 * Create or Update answers it FAILED at once, instead of leaving the stack to time out.
 */
export function createRevoker(deps: OnboardingDependencies & { answers?: AnswerSender }) {
  const { store, logger, metrics, publisher, answers } = deps;
  const now = deps.now ?? (() => new Date());

  async function revoke(input: RevokeInput): Promise<RevocationOutcome> {
    for (let attempt = 1; attempt <= REVOKE_ATTEMPTS; attempt++) {
      // Writes racing on the connection (a verdict, a burst of Updates) make it lose; it backs off
      // a little and decides again, so a revocation is not starved by churn.
      if (attempt > 1) await sleep(Math.random() * 20 * attempt);
      const connection = await store.getConnection(input.customerId, input.accountId);
      if (!connection) return { kind: 'unchanged', reason: 'no such connection' };
      if (connection.status === 'REVOKED')
        return { kind: 'unchanged', reason: 'already revoked', connection };
      if (
        input.stackId !== undefined &&
        (!('stackId' in connection) || connection.stackId !== input.stackId)
      ) {
        return {
          kind: 'unchanged',
          reason: 'the stack is not the one this connection was registered by',
          connection,
        };
      }
      if (input.stackId !== undefined && connection.authMethod === 'ACCESS_KEYS') {
        // A migration stack went away before it was proven: the access keys stay as they were.
        return { kind: 'unchanged', reason: 'the connection is still on access keys', connection };
      }
      if (input.from && !input.from.includes(connection.status)) {
        return {
          kind: 'unchanged',
          reason: `a ${connection.status} connection is left as it is`,
          connection,
        };
      }
      const pending = 'pendingAnswer' in connection ? connection.pendingAnswer : undefined;
      try {
        // The conditional write is also the claim on the pending answer: only its winner sends it.
        const at = now();
        const revoked = await store.updateConnection({
          connection,
          to: 'REVOKED',
          remove: [...PENDING_FIELDS],
          set: {
            // Offers issued before this instant can never connect the account again (invariant 9).
            revokedAt: at.toISOString(),
            ...(pending
              ? { answeredRequestIds: withAnsweredRequest(connection.answeredRequestIds, pending.requestId) }
              : {}),
          },
          // The stack and the role may serve another connection from now on.
          ...(connection.authMethod === 'ROLE'
            ? { releaseLinks: { stackId: connection.stackId, roleArn: connection.roleArn } }
            : {}),
          audit: { actor: input.actor, reason: input.reason, sourceEventId: input.sourceEventId },
          now: at,
        });
        if (pending) await answerRevoked(pending, input.reason);
        if (pending?.slotSetupId) {
          await store.releaseValidationSlot({
            customerId: revoked.customerId,
            setupId: pending.slotSetupId,
            accountId: revoked.accountId,
            until: pending.deadline,
          });
        }
        metrics.addMetric('AccessRevoked', MetricUnit.Count, 1);
        logger.info('Access revoked', {
          customerId: input.customerId,
          accountId: input.accountId,
          reason: input.reason,
        });
        const { failed } = await publisher.publish([
          {
            detailType: DETAIL_TYPES.accessRevoked,
            detail: {
              customerId: revoked.customerId,
              accountId: revoked.accountId,
              version: revoked.version,
              correlationId: input.sourceEventId,
              reason: input.reason,
            },
          },
        ]);
        if (failed.length > 0) {
          // Revocation is already in force (the broker re-reads the status); the event is a notification.
          logger.error('Access Revoked not published', { failed });
          metrics.addMetric('EventPublishFailed', MetricUnit.Count, failed.length);
        }
        return { kind: 'revoked', connection: revoked };
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        // Changed since read (a validator verdict, a concurrent revocation): decide again.
      }
    }
    throw new Error(`Could not revoke ${input.customerId}/${input.accountId}: the connection kept changing.`);
  }

  async function answerRevoked(pending: PendingCloudFormationAnswer, reason: string): Promise<void> {
    const target = cloudFormationTargetOf(pending);
    // A registration by API or Terraform waits for no answer: its connection shows the revocation.
    if (!target) return;
    if (!answers) {
      logger.warn('Revoked with a CloudFormation request pending; it will time out', {
        requestId: pending.requestId,
      });
      return;
    }
    const delivery = await answers.send(
      target.responseUrl,
      failedAnswer(target, `Access was revoked (${reason}) before the role was validated.`),
    );
    if (!delivery.delivered) {
      logger.error('CloudFormation answer not delivered', { requestId: pending.requestId, delivery });
      metrics.addMetric('CloudFormationAnswerFailed', MetricUnit.Count, 1);
    }
  }

  return {
    revoke,

    /** `Integration Stack Deleted` from the callback (which already matched StackId and External ID). */
    async onIntegrationStackDeleted(
      detail: DetailOf<typeof DETAIL_TYPES.integrationStackDeleted>,
      eventId: string,
    ): Promise<RevocationOutcome> {
      return revoke({
        customerId: detail.customerId,
        accountId: detail.accountId,
        stackId: detail.stackId,
        from: LIVE_STATUSES,
        actor: 'revocation',
        reason: 'integration stack deleted',
        sourceEventId: eventId,
      });
    },

    /**
     * A forwarded "CloudFormation Stack Status Change": the event's account (set by EventBridge,
     * not by the sender) must own the stack, and the stack must be one a connection registered.
     */
    async onStackStatusChange(event: z.output<typeof stackStatusChangeSchema>): Promise<RevocationOutcome> {
      const status = event.detail['status-details'].status;
      if (!(STACK_DELETE_STATUSES as readonly string[]).includes(status)) {
        return { kind: 'unchanged', reason: `stack status ${status} is not a deletion` };
      }
      const stackId = event.detail['stack-id'];
      const stack = parseStackArn(stackId);
      if (!stack || stack.accountId !== event.account) {
        logger.warn('Stack status change from another account than the stack; ignored', {
          stackId,
          account: event.account,
        });
        return { kind: 'unchanged', reason: 'the stack is not in the sending account' };
      }
      const link = await store.findStackLink(stackId);
      if (!link || link.accountId !== stack.accountId) return { kind: 'unchanged', reason: 'unknown stack' };
      return revoke({
        customerId: link.customerId,
        accountId: link.accountId,
        stackId,
        from: LIVE_STATUSES,
        actor: 'revocation',
        reason: `stack ${status}`,
        sourceEventId: event.id,
      });
    },

    /** POST …/revoke: by hand, whatever the status (except REVOKED, which stays as it is). */
    async revokeByHand({
      customerId,
      accountId,
      requestId,
    }: {
      customerId: string;
      accountId: string;
      requestId: string;
    }) {
      const outcome = await revoke({
        customerId,
        accountId,
        actor: 'setup-api',
        reason: 'revoked through the API',
        sourceEventId: requestId,
      });
      if (outcome.kind === 'unchanged' && !outcome.connection) {
        throw new NotFoundError(`No connection for account ${accountId} of customer ${customerId}.`);
      }
      return outcome;
    },
  };
}

export type Revoker = ReturnType<typeof createRevoker>;
