/**
 * The queue of an organization setup (docs/architecture.md §9.7, invariant 10): registrations
 * recorded while every validation slot was taken wait on the setup item, earliest deadline first,
 * and cost no AssumeRole until they get a slot. Whoever may have freed a slot or queued a request —
 * a verdict, a superseding registration, a new entry — drains the queue: the head gets the slot
 * (one conditional transaction on the setup's slot version and the request) and its
 * `Role Registered` is published, until the slots are full again or the queue is empty. An entry
 * whose request no longer waits (answered, superseded, revoked) is dropped; one whose deadline has
 * passed is skipped and cleared by the next claim.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { backoffDelay, sleep as defaultSleep } from '../backoff.ts';
import type { Connection } from '../domain/connection.ts';
import { DETAIL_TYPES } from '../events/catalog.ts';
import type { OnboardingDependencies } from './dependencies.ts';
import { DEFAULT_PENDING_CAPS } from './pending-caps.ts';
import { nextInQueue, reasonOfPending } from './registration-decision.ts';

export interface ValidationQueueDependencies extends OnboardingDependencies {
  sleep?: (ms: number) => Promise<void>;
}

export type ValidationQueue = ReturnType<typeof createValidationQueue>;

export function createValidationQueue(deps: ValidationQueueDependencies) {
  const { store, logger, metrics, publisher } = deps;
  const now = deps.now ?? (() => new Date());
  const caps = deps.caps ?? DEFAULT_PENDING_CAPS;
  const sleep = deps.sleep ?? defaultSleep;

  /** `Role Registered` for a request that has just been given its slot: false when not published. */
  async function announce(
    connection: Connection,
    requestId: string,
    requestType: 'Create' | 'Update',
  ): Promise<boolean> {
    const roleArn =
      ('pendingRoleArn' in connection ? connection.pendingRoleArn : undefined) ??
      (connection.authMethod === 'ROLE' ? connection.roleArn : undefined);
    if (!roleArn) return true;
    const { failed } = await publisher.publish([
      {
        detailType: DETAIL_TYPES.roleRegistered,
        detail: {
          customerId: connection.customerId,
          accountId: connection.accountId,
          version: connection.version,
          correlationId: requestId,
          roleArn,
          reason: reasonOfPending(connection, requestType),
        },
      },
    ]);
    if (failed.length > 0) {
      logger.error('Role Registered of a dequeued request not published', { requestId, failed });
      metrics.addMetric('EventPublishFailed', MetricUnit.Count, failed.length);
      return false;
    }
    return true;
  }

  /**
   * Gives free slots of an organization setup to the head of its queue, one at a time, and answers
   * how many it gave. Lost races are retried with backoff (another claim went first: progress).
   */
  async function drain({ customerId, setupId }: { customerId: string; setupId: string }): Promise<number> {
    let promoted = 0;
    for (let round = 1; round <= caps.perOrganization + 20; round++) {
      const [setup, setups] = await Promise.all([
        store.getSetup(customerId, setupId),
        store.listOpenSetups(customerId, new Date(0)),
      ]);
      const at = now();
      const claim = setup ? nextInQueue(setups, setup, caps, at) : undefined;
      if (!claim) break;
      const connection = await store.getConnection(customerId, claim.accountId);
      const pending = connection && 'pendingAnswer' in connection ? connection.pendingAnswer : undefined;
      if (!connection || !pending || pending.slotSetupId !== setupId || pending.deadline !== claim.until) {
        // The request this entry stood for no longer waits (answered, superseded, revoked).
        await store.dropQueued({ customerId, setupId, accountId: claim.accountId, until: claim.until });
        continue;
      }
      // The same request, not queued: another drain has just promoted it, or is putting it back
      // (requeuePromoted), so its entry may return with the same deadline. Never drop it: look again.
      const result =
        pending.queued === true
          ? await store.promoteQueued(claim, { customerId, requestId: pending.requestId }, at)
          : 'raced';
      if (result !== 'promoted') {
        // Raced for the slots, or the request changed since it was read: read both again.
        await sleep(backoffDelay(20, Math.min(round, 6)));
        continue;
      }
      const request = { customerId, accountId: claim.accountId, setupId, requestId: pending.requestId };
      if (!(await announce(connection, pending.requestId, pending.requestType))) {
        // Unannounced, it would hold its slot unproven until its deadline: back to the head of the
        // queue, for the next drain (any verdict or registration of the setup). EventBridge refused
        // even after the publisher's retries, so this drain stops here.
        const requeued = await store.requeuePromoted({ ...request, until: claim.until });
        logger.warn('Dequeued registration put back in its queue', { ...request, requeued });
        break;
      }
      promoted++;
      metrics.addMetric('RegistrationDequeued', MetricUnit.Count, 1);
      logger.info('Queued registration given its validation slot', request);
    }
    return promoted;
  }

  return { drain };
}
