/**
 * The registration callback's logic: one CloudFormation custom-resource request in, at most one
 * answer out. Every field is attacker-controlled (docs/architecture.md §6): the ResponseURL must pass the
 * allow-list before anything is sent to it, the account comes from the StackId, the role must
 * live in that account, and the External ID must match an open setup of the customer (or the
 * connection's own, for a second stack of a live connection), compared in constant time.
 *
 * Create and Update record what must be proven and emit `Role Registered`; the validator answers.
 * Delete is always answered SUCCESS, and emits `Integration Stack Deleted` only when StackId and
 * External ID match the stored connection. Redelivered requests are recognised by the pending
 * answer's RequestId and change nothing.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { backoffDelay, sleep as defaultSleep } from '../backoff.ts';
import {
  type AnswerDelivery,
  type AnswerTarget,
  failedAnswer,
  successAnswer,
} from '../cloudformation/answer.ts';
import { physicalResourceIdFor, rejectedPhysicalResourceId } from '../cloudformation/physical-id.ts';
import {
  answerableRequestSchema,
  type CustomResourceRequest,
  customResourceRequestSchema,
  type Delivery,
  describeIssues,
  type RegistrationProperties,
  registrationPropertiesSchema,
} from '../cloudformation/request.ts';
import { compactRegion } from '../cloudformation/response-url.ts';
import { parseStackArn, type StackArn } from '../cloudformation/stack-arn.ts';
import {
  type Connection,
  type ConnectionSource,
  cloudFormationTargetOf,
  type PendingCloudFormationAnswer,
  withAnsweredRequest,
} from '../domain/connection.ts';
import { ROLE_ARN_PATTERN } from '../domain/sts-limits.ts';
import { ConflictError } from '../errors.ts';
import { DETAIL_TYPES, type DetailOf } from '../events/catalog.ts';
import { answerDeadline, answerWindowFor, DEFAULT_ANSWER_WINDOW_MS } from './answer-deadline.ts';
import type { AnsweringDependencies } from './dependencies.ts';
import { publishOrThrow } from './dependencies.ts';
import { DEFAULT_PENDING_CAPS, decideRegistration, type RegistrationFacts } from './registration-decision.ts';
import { secureEquals } from './secure-compare.ts';
import { createValidationQueue } from './validation-queue.ts';

const ACTOR = 'registration-callback';
/**
 * How long one request keeps deciding again after losing races. Registrations of one setup are
 * serialised by its slot version, so each lost race is another registration recorded: a StackSet
 * rolling out many accounts at once loses a few, with backoff, and never fails for it. Well
 * inside the callback's 30 s timeout.
 */
export const RACE_BUDGET_MS = 15_000;
/** Lost races after which a registration through an organization setup queues instead. */
const CONTENDED_AFTER = 2;

export type RegistrationOutcome =
  /** The request cannot be answered (no allow-listed ResponseURL): nothing was sent anywhere. */
  | { kind: 'ignored'; reason: string }
  /** Answered now. */
  | { kind: 'answered'; status: 'SUCCESS' | 'FAILED'; reason?: string; delivery: AnswerDelivery }
  /** Recorded; the validator answers once the role is proven. */
  | { kind: 'pending'; connection: Connection; duplicate: boolean }
  /** Nothing to prove (a registration by API or Terraform of what the connection already holds). */
  | { kind: 'unchanged'; connection: Connection };

export interface RegistrationOptions extends AnsweringDependencies {
  /** The answer window when a request brings no ServiceTimeout (default DEFAULT_ANSWER_WINDOW_MS). */
  answerWindowMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

type Reason = DetailOf<typeof DETAIL_TYPES.roleRegistered>['reason'];

interface ValidRequest {
  request: CustomResourceRequest & { RequestType: 'Create' | 'Update' };
  properties: RegistrationProperties;
  stack: StackArn;
  target: AnswerTarget;
  deliveryId: string;
}

/** A request refused with a reason the customer can act on: answered FAILED, or a 409 by the API. */
export class RegistrationRefusedError extends Error {
  override readonly name = 'RegistrationRefusedError';
  readonly statusCode = 409;
}
const Refusal = RegistrationRefusedError;

/**
 * One Create or Update, whatever brought it (docs/architecture.md §9.6): a stack's custom resource,
 * the registration API or the Terraform module. The account is always the role's own.
 */
export interface RegistrationRequest {
  requestId: string;
  requestType: 'Create' | 'Update';
  customerId: string;
  accountId: string;
  roleArn: string;
  externalId: string;
  templateVersion?: string | undefined;
  source: ConnectionSource;
  /** The stack it came through: CloudFormation only. */
  stackId?: string | undefined;
  /** What the connection records as awaiting the verdict (with where CloudFormation's answer goes). */
  pendingFor(at: Date): PendingCloudFormationAnswer;
  /** Where to answer now (a refusal, nothing to prove): CloudFormation only. */
  target?: AnswerTarget | undefined;
}

export function createRegistrationHandler(deps: RegistrationOptions) {
  const { store, logger, metrics, answers, responseUrlPolicy } = deps;
  const now = deps.now ?? (() => new Date());
  const answerWindowMs = deps.answerWindowMs ?? DEFAULT_ANSWER_WINDOW_MS;
  const caps = deps.caps ?? DEFAULT_PENDING_CAPS;
  const sleep = deps.sleep ?? defaultSleep;
  const queue = createValidationQueue({ ...deps, caps, now, sleep });

  async function answer(
    target: AnswerTarget,
    status: 'SUCCESS' | 'FAILED',
    reason?: string,
    data?: Record<string, string>,
  ): Promise<RegistrationOutcome> {
    const body =
      status === 'SUCCESS' ? successAnswer(target, data) : failedAnswer(target, reason ?? '', data);
    const delivery = await answers.send(target.responseUrl, body);
    if (!delivery.delivered) {
      logger.error('CloudFormation answer not delivered', { requestId: target.requestId, status, delivery });
      metrics.addMetric('CloudFormationAnswerFailed', MetricUnit.Count, 1);
    } else {
      logger.info('CloudFormation answered', { requestId: target.requestId, status, reason });
    }
    return { kind: 'answered', status, ...(reason ? { reason } : {}), delivery };
  }

  async function handle(delivery: Delivery): Promise<RegistrationOutcome> {
    const answerable = answerableRequestSchema.safeParse(delivery.payload);
    if (!answerable.success) {
      logger.warn('Not a custom-resource request; ignored', { deliveryId: delivery.deliveryId });
      metrics.addMetric('RegistrationRequestIgnored', MetricUnit.Count, 1);
      return { kind: 'ignored', reason: 'not a custom-resource request' };
    }
    const { ResponseURL, StackId, RequestId, LogicalResourceId } = answerable.data;
    const verdict = responseUrlPolicy(ResponseURL);
    if (!verdict.allowed) {
      // Never contact a URL the allow-list refuses; there is no one to answer.
      logger.warn('ResponseURL refused; request ignored', { requestId: RequestId, reason: verdict.reason });
      metrics.addMetric('ResponseUrlRefused', MetricUnit.Count, 1);
      return { kind: 'ignored', reason: verdict.reason };
    }
    if (
      verdict.bucketRegion !== undefined &&
      delivery.topicRegion !== undefined &&
      verdict.bucketRegion !== compactRegion(delivery.topicRegion)
    ) {
      // CloudFormation answers through its bucket in the stack's region, which is the topic's region:
      // a bucket elsewhere (or of a made-up region, which anyone could create) is never contacted.
      const reason = 'the response bucket is not in the region of the topic that delivered the request';
      logger.warn('ResponseURL refused; request ignored', { requestId: RequestId, reason });
      metrics.addMetric('ResponseUrlRefused', MetricUnit.Count, 1);
      return { kind: 'ignored', reason };
    }

    const parsed = customResourceRequestSchema.safeParse(delivery.payload);
    const rawPhysical = (delivery.payload as { PhysicalResourceId?: unknown }).PhysicalResourceId;
    const fallbackTarget: AnswerTarget = {
      responseUrl: ResponseURL,
      stackId: StackId,
      requestId: RequestId,
      logicalResourceId: LogicalResourceId,
      physicalResourceId:
        typeof rawPhysical === 'string' && rawPhysical.length > 0 && rawPhysical.length <= 1024
          ? rawPhysical
          : rejectedPhysicalResourceId(StackId, LogicalResourceId),
    };
    if (!parsed.success) {
      const reason = `Invalid custom resource request: ${describeIssues(parsed.error)}.`;
      metrics.addMetric('RegistrationRefused', MetricUnit.Count, 1);
      const isDelete = (delivery.payload as { RequestType?: unknown }).RequestType === 'Delete';
      return answer(fallbackTarget, isDelete ? 'SUCCESS' : 'FAILED', isDelete ? undefined : reason);
    }
    const request = parsed.data;
    if (request.RequestType === 'Delete') return handleDelete(request, fallbackTarget, delivery);

    try {
      const valid = validate(request as ValidRequest['request'], fallbackTarget, delivery);
      return await register(fromCloudFormation(valid));
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      metrics.addMetric('RegistrationRefused', MetricUnit.Count, 1);
      logger.warn('Registration refused', { requestId: RequestId, reason: error.message });
      return answer(refusalTarget(request, fallbackTarget), 'FAILED', error.message);
    }
  }

  /** The physical id of a refused Create/Update: the connection's when customer and account are known. */
  function refusalTarget(request: CustomResourceRequest, fallback: AnswerTarget): AnswerTarget {
    if (request.RequestType === 'Update') return fallback;
    const stack = parseStackArn(request.StackId);
    const customer = registrationPropertiesSchema.shape.CustomerId.safeParse(
      request.ResourceProperties?.CustomerId,
    );
    return stack && customer.success
      ? { ...fallback, physicalResourceId: physicalResourceIdFor(customer.data, stack.accountId) }
      : fallback;
  }

  /** The checks that need no I/O: stack ARN, properties, role in the stack's own account. */
  function validate(
    request: ValidRequest['request'],
    fallback: AnswerTarget,
    delivery: Delivery,
  ): ValidRequest {
    const stack = parseStackArn(request.StackId);
    if (!stack) throw new Refusal('StackId is not a CloudFormation stack ARN.');
    if (!stackInTopicRegion(stack, delivery)) {
      throw new Refusal(
        `StackId names region ${stack.region}, but the request came through the topic of ${delivery.topicRegion}: a stack calls back through the topic of its own region.`,
      );
    }
    const props = registrationPropertiesSchema.safeParse(request.ResourceProperties ?? {});
    if (!props.success) throw new Refusal(`Invalid properties: ${describeIssues(props.error)}.`);
    const properties = props.data;
    const [, rolePartition, roleAccount] = ROLE_ARN_PATTERN.exec(properties.RoleArn) ?? [];
    if (roleAccount !== stack.accountId || rolePartition !== stack.partition) {
      throw new Refusal(
        `RoleArn ${properties.RoleArn} is not in this stack's account ${stack.accountId} (${stack.partition}): the role must be the one this stack creates.`,
      );
    }
    return {
      request,
      properties,
      stack,
      deliveryId: delivery.deliveryId,
      target: {
        ...fallback,
        physicalResourceId: physicalResourceIdFor(properties.CustomerId, stack.accountId),
      },
    };
  }

  function pendingAnswerFor(valid: ValidRequest, at: Date): PendingCloudFormationAnswer {
    return {
      responseUrl: valid.target.responseUrl,
      requestId: valid.target.requestId,
      requestType: valid.request.RequestType,
      logicalResourceId: valid.target.logicalResourceId,
      stackId: valid.target.stackId,
      physicalResourceId: valid.target.physicalResourceId,
      deadline: answerDeadline(
        valid.target.responseUrl,
        at,
        answerWindowFor(valid.request.ResourceProperties, answerWindowMs),
      ),
    };
  }

  /** A validated custom-resource request, as every registration is decided. */
  function fromCloudFormation(valid: ValidRequest): RegistrationRequest {
    return {
      requestId: valid.target.requestId,
      requestType: valid.request.RequestType,
      customerId: valid.properties.CustomerId,
      accountId: valid.stack.accountId,
      roleArn: valid.properties.RoleArn,
      externalId: valid.properties.ExternalId,
      templateVersion: valid.properties.TemplateVersion,
      source: 'cloudformation',
      stackId: valid.target.stackId,
      pendingFor: (at) => pendingAnswerFor(valid, at),
      target: valid.target,
    };
  }

  async function emitRegistered(connection: Connection, valid: RegistrationRequest, reason: Reason) {
    await publishOrThrow(deps.publisher, [
      {
        detailType: DETAIL_TYPES.roleRegistered,
        detail: {
          customerId: connection.customerId,
          accountId: connection.accountId,
          version: connection.version,
          correlationId: valid.requestId,
          roleArn: valid.roleArn,
          reason,
        },
      },
    ]);
  }

  /** The pending request a newer one replaces, if it still waits for its answer. */
  function supersededBy(
    connection: Connection,
    by: RegistrationRequest,
  ): PendingCloudFormationAnswer | undefined {
    const old = 'pendingAnswer' in connection ? connection.pendingAnswer : undefined;
    if (!old || old.requestId === by.requestId || old.deadline <= now().getTime()) return undefined;
    return old;
  }

  /**
   * Once the write that replaced it has succeeded: answers the superseded request FAILED (so no
   * stack waits for nothing, and never for a write that then lost its race) and frees its slot.
   */
  async function settleSuperseded(
    old: PendingCloudFormationAnswer | undefined,
    connection: Connection,
    by: RegistrationRequest,
  ) {
    if (!old) return;
    const oldTarget = cloudFormationTargetOf(old);
    if (oldTarget) {
      await answer(
        oldTarget,
        'FAILED',
        `Superseded by a newer registration of account ${connection.accountId} (request ${by.requestId}).`,
      );
    }
    // A slot on the setup the newer request claimed is that request's now; one on another setup is freed.
    const claimed = 'pendingAnswer' in connection ? connection.pendingAnswer?.slotSetupId : undefined;
    if (old.slotSetupId && old.slotSetupId !== claimed) {
      await store.releaseValidationSlot({
        customerId: connection.customerId,
        setupId: old.slotSetupId,
        accountId: connection.accountId,
        until: old.deadline,
      });
      await queue.drain({ customerId: connection.customerId, setupId: old.slotSetupId });
    }
  }

  /** Reads what the decision needs: the connection, the customer's setups, the stack's and the role's links. */
  async function factsFor(valid: RegistrationRequest, at: Date): Promise<RegistrationFacts> {
    const [existing, setups, stackLink, roleLink] = await Promise.all([
      store.getConnection(valid.customerId, valid.accountId),
      // Every setup not marked EXPIRED (an epoch-0 clock), so an expired one can be named as such.
      store.listOpenSetups(valid.customerId, new Date(0)),
      valid.stackId ? store.findStackLink(valid.stackId) : undefined,
      store.findRoleLink(valid.roleArn),
    ]);
    return {
      request: {
        type: valid.requestType,
        requestId: valid.requestId,
        stackId: valid.stackId,
        source: valid.source,
        customerId: valid.customerId,
        accountId: valid.accountId,
        roleArn: valid.roleArn,
        externalId: valid.externalId,
        templateVersion: valid.templateVersion,
      },
      existing,
      setups,
      stackLink,
      roleLink,
      caps,
      deadline: valid.pendingFor(at).deadline,
      now: at,
    };
  }

  async function register(
    valid: RegistrationRequest,
    attempt = 1,
    since = now().getTime(),
  ): Promise<RegistrationOutcome> {
    const at = now();
    // After a few lost races, an organization's account queues (no race) and the drain gives it a slot.
    const facts = { ...(await factsFor(valid, at)), contended: attempt > CONTENDED_AFTER };
    const plan = decideRegistration(facts);
    const { existing } = facts;
    const actor = valid.source === 'cloudformation' ? ACTOR : `registration-${valid.source}`;
    const audit = (reason: string) => ({ actor, reason, sourceEventId: valid.requestId });
    const pendingAnswer = (slot: { setupId: string; queued?: boolean } | undefined) => ({
      ...valid.pendingFor(at),
      ...(slot ? { slotSetupId: slot.setupId } : {}),
      ...(slot?.queued ? { queued: true } : {}),
    });
    const how =
      valid.source === 'cloudformation'
        ? `${valid.requestType} from stack`
        : `${valid.requestType} by ${valid.source}`;
    // Where the connection came from: its stack (CloudFormation), or nothing (API, Terraform).
    const stackOf = valid.stackId ? { stackId: valid.stackId } : {};

    if (plan.kind === 'refuse') throw new Refusal(plan.reason);
    if (plan.kind === 'already-answered') {
      logger.info('Redelivery of a request already answered; ignored', { requestId: valid.requestId });
      metrics.addMetric('DuplicateRequestIgnored', MetricUnit.Count, 1);
      return { kind: 'ignored', reason: 'already answered' };
    }
    if (plan.kind === 'duplicate') {
      // Publish again (harmless, and heals a publish that failed after the write), change nothing;
      // a request still in its setup's queue is announced when it gets its slot.
      logger.info('Duplicate delivery of a pending request', { requestId: valid.requestId });
      const waiting = 'pendingAnswer' in plan.connection ? plan.connection.pendingAnswer : undefined;
      if (waiting?.queued && waiting.slotSetupId) {
        await queue.drain({ customerId: valid.customerId, setupId: waiting.slotSetupId });
      } else await emitRegistered(plan.connection, valid, plan.reason);
      return { kind: 'pending', connection: plan.connection, duplicate: true };
    }
    if (plan.kind === 'unchanged') {
      if (valid.target) return answer(valid.target, 'SUCCESS', undefined, { RoleArn: plan.roleArn });
      return { kind: 'unchanged', connection: existing! };
    }

    try {
      if (plan.kind === 'create') {
        const connection = await store.registerConnection({
          connection: {
            customerId: valid.customerId,
            accountId: valid.accountId,
            authMethod: 'ROLE',
            status: 'REGISTERED',
            version: 1,
            roleArn: valid.roleArn,
            externalId: valid.externalId,
            ...stackOf,
            source: valid.source,
            setupId: plan.setup.setupId,
            ...(valid.templateVersion ? { templateVersion: valid.templateVersion } : {}),
            ...(plan.offersValidAfter ? { offersValidAfter: plan.offersValidAfter } : {}),
            pendingAnswer: pendingAnswer(plan.slot),
            createdAt: at.toISOString(),
            updatedAt: at.toISOString(),
          },
          setup: plan.setup,
          slot: plan.slot,
          audit: audit(how),
          now: at,
        });
        return await recorded(connection, valid, 'create');
      }
      if (!existing) throw new Error(`A ${plan.kind} plan needs a stored connection.`);
      // The request this one replaces is remembered as answered by the same write, so its late
      // redelivery is ignored; it is answered once that write has succeeded.
      const superseded = supersededBy(existing, valid);
      const replacing = superseded
        ? { answeredRequestIds: withAnsweredRequest(existing.answeredRequestIds, superseded.requestId) }
        : {};

      // A candidate ID proven later (rotation, migration) names its setup; the validator marks it
      // USED when it switches the ID in. Without a setup (a known ID), a stale candidate's is dropped.
      const pendingSetup =
        'setup' in plan && plan.setup
          ? { set: { pendingSetupId: plan.setup.setupId }, remove: [] }
          : { set: {}, remove: ['pendingSetupId' as const] };
      const slot = 'slot' in plan && plan.slot ? { slot: plan.slot } : {};

      if (plan.kind === 'migrate') {
        const connection = await store.updateConnection({
          connection: existing,
          set: {
            pendingRoleArn: valid.roleArn,
            pendingExternalId: valid.externalId,
            ...stackOf,
            source: valid.source,
            pendingAnswer: pendingAnswer(plan.slot),
            ...(valid.templateVersion ? { pendingTemplateVersion: valid.templateVersion } : {}),
            ...pendingSetup.set,
            ...replacing,
          },
          remove: [
            ...pendingSetup.remove,
            ...(valid.templateVersion ? [] : (['pendingTemplateVersion'] as const)),
          ],
          ...slot,
          audit: audit('migration to a role requested'),
          now: at,
        });
        await settleSuperseded(superseded, connection, valid);
        return await recorded(connection, valid, 'migration');
      }

      if (plan.kind === 'change-live') {
        // Keep serving the proven values; the validator switches only once the new ones are proven.
        const { sameRole, sameId, newTemplateVersion } = plan;
        const connection = await store.updateConnection({
          connection: existing,
          set: {
            ...(sameRole ? {} : { pendingRoleArn: valid.roleArn }),
            ...(sameId ? {} : { pendingExternalId: valid.externalId }),
            ...(newTemplateVersion ? { pendingTemplateVersion: newTemplateVersion } : {}),
            pendingAnswer: pendingAnswer(plan.slot),
            ...pendingSetup.set,
            ...replacing,
          },
          remove: [
            ...(sameRole ? (['pendingRoleArn'] as const) : []),
            ...(sameId ? (['pendingExternalId'] as const) : []),
            ...(newTemplateVersion ? [] : (['pendingTemplateVersion'] as const)),
            ...pendingSetup.remove,
          ],
          ...slot,
          audit: audit(`${how} brings a change to prove`),
          now: at,
        });
        await settleSuperseded(superseded, connection, valid);
        return await recorded(connection, valid, plan.reason);
      }

      // REGISTERED (another request pending) or FAILED: the candidate values are replaced, and the
      // setup that brought the External ID is used now, in the same transaction.
      const connection = await store.updateConnection({
        connection: existing,
        to: 'REGISTERED',
        set: {
          roleArn: valid.roleArn,
          externalId: valid.externalId,
          ...stackOf,
          source: valid.source,
          pendingAnswer: pendingAnswer(plan.slot),
          setupId: plan.setup.setupId,
          ...(valid.templateVersion ? { templateVersion: valid.templateVersion } : {}),
          ...replacing,
        },
        remove: [
          'pendingRoleArn',
          'pendingExternalId',
          'pendingSetupId',
          'pendingTemplateVersion',
          'lastError',
          ...(valid.templateVersion ? [] : (['templateVersion'] as const)),
          ...(valid.stackId ? [] : (['stackId'] as const)),
        ],
        useSetup: plan.setup,
        slot: plan.slot,
        audit: audit(how),
        now: at,
      });
      await settleSuperseded(superseded, connection, valid);
      return await recorded(connection, valid, valid.requestType === 'Create' ? 'create' : 'update');
    } catch (error) {
      // Lost a race (a duplicate delivery, another stack of the same account, a concurrent claim of
      // the setup's last validation slot): decide again on what the table holds now.
      if (!(error instanceof ConflictError)) throw error;
      if (now().getTime() - since < RACE_BUDGET_MS) {
        await sleep(backoffDelay(25, Math.min(attempt, 5)));
        return register(valid, attempt + 1, since);
      }
      // Still losing: answer now rather than leave the stack waiting on redeliveries.
      throw new Refusal(
        `Keyless is busy with other registrations of this account or launch link: retry the stack in a minute.`,
      );
    }
  }

  async function recorded(
    connection: Connection,
    valid: RegistrationRequest,
    reason: Reason,
  ): Promise<RegistrationOutcome> {
    const pending = 'pendingAnswer' in connection ? connection.pendingAnswer : undefined;
    if (pending?.queued && pending.slotSetupId) {
      // Every slot was taken when it was read: it waits its turn, and is announced when it gets one.
      // Drained here too, in case the slots freed after they were read.
      logger.info('Registration recorded; waiting for a validation slot', {
        customerId: connection.customerId,
        accountId: connection.accountId,
        requestId: valid.requestId,
        setupId: pending.slotSetupId,
      });
      metrics.addMetric('RegistrationQueued', MetricUnit.Count, 1);
      await queue.drain({ customerId: connection.customerId, setupId: pending.slotSetupId });
      return { kind: 'pending', connection, duplicate: false };
    }
    logger.info('Registration recorded; validation pending', {
      customerId: connection.customerId,
      accountId: connection.accountId,
      requestId: valid.requestId,
      source: valid.source,
      reason,
    });
    metrics.addMetric('RoleRegistered', MetricUnit.Count, 1);
    await emitRegistered(connection, valid, reason);
    return { kind: 'pending', connection, duplicate: false };
  }

  async function handleDelete(
    request: CustomResourceRequest,
    target: AnswerTarget,
    { deliveryId, ...delivery }: Delivery,
  ): Promise<RegistrationOutcome> {
    let publishError: unknown;
    try {
      const stack = parseStackArn(request.StackId);
      const props = registrationPropertiesSchema.safeParse(request.ResourceProperties ?? {});
      const existing =
        stack && props.success && stackInTopicRegion(stack, delivery)
          ? await store.getConnection(props.data.CustomerId, stack.accountId)
          : undefined;
      const honoured =
        props.success &&
        existing?.authMethod === 'ROLE' &&
        existing.stackId === request.StackId &&
        ['ACTIVE', 'BROKEN', 'REGISTERED'].includes(existing.status) &&
        secureEquals(existing.externalId, props.data.ExternalId);
      if (honoured && existing) {
        try {
          await publishOrThrow(deps.publisher, [
            {
              detailType: DETAIL_TYPES.integrationStackDeleted,
              detail: {
                customerId: existing.customerId,
                accountId: existing.accountId,
                version: existing.version,
                correlationId: request.RequestId,
                stackId: request.StackId,
              },
            },
          ]);
          logger.info('Integration stack deleted', {
            customerId: existing.customerId,
            accountId: existing.accountId,
          });
        } catch (error) {
          publishError = error;
        }
      } else {
        // A forged Delete, the Delete after a FAILED Create, or a second stack: nothing changes.
        logger.info('Delete answered without effect', { requestId: request.RequestId, deliveryId });
      }
    } catch (error) {
      logger.error('Delete could not be checked; answered SUCCESS anyway', { error });
      publishError = error;
    }
    // A stack deletion never hangs on Keyless: always SUCCESS, with the id CloudFormation sent.
    const outcome = await answer(target, 'SUCCESS');
    // Let the platform retry what failed: the redelivered Delete publishes again and is answered again.
    if (publishError) throw publishError;
    return outcome;
  }

  return { handle, register };
}

/**
 * CloudFormation sends a custom resource's requests to the ServiceToken of the stack's own region,
 * and SNS (not the sender) sets the topic: on the SNS path a StackId of another region is forged.
 * A direct invocation has no topic region to compare.
 */
function stackInTopicRegion(stack: StackArn, delivery: Pick<Delivery, 'topicRegion'>): boolean {
  return delivery.topicRegion === undefined || stack.region === delivery.topicRegion;
}
