/**
 * The role validator's logic. On `Role Registered` it proves the connection's candidate role and
 * External ID (a new connection, a role change, a rotation, a migration off access keys), records
 * the verdict with a conditional write — the write that clears the pending answer is the claim,
 * so exactly one invocation answers a request — then answers CloudFormation and emits the
 * verdict. In re-validation mode it re-checks live connections and marks broken ones BROKEN.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type AnswerSender, failedAnswer, successAnswer } from '../cloudformation/answer.ts';
import { type TemplateCatalogue, upgradeFrom } from '../customer-template/catalogue.ts';
import {
  type Connection,
  type ConnectionPermissions,
  cloudFormationTargetOf,
  PENDING_FIELDS,
  type PendingCloudFormationAnswer,
  withAnsweredRequest,
} from '../domain/connection.ts';
import { generateExternalId } from '../domain/external-id.ts';
import { ROLE_ARN_PATTERN } from '../domain/sts-limits.ts';
import { ConflictError, LinkConflictError } from '../errors.ts';
import { DETAIL_TYPES, type DetailOf, type KeylessEvent } from '../events/catalog.ts';
import { countWithDimension, DIMENSIONS, METRIC_NAMES } from '../metrics.ts';
import {
  describeMissing,
  type PermissionChecker,
  type PermissionReport,
  withUnprobedFindings,
} from '../permissions/permission-check.ts';
import type { UpdateConnectionInput } from '../store/connection-store.ts';
import type { OnboardingDependencies } from './dependencies.ts';
import type { MembershipChecker } from './organization-membership.ts';
import type { ProofResult, RoleProver } from './role-proof.ts';
import { createValidationQueue } from './validation-queue.ts';

const ACTOR = 'role-validator';
/**
 * Kept free at the end of an invocation for the verdict write, the answer and the events: the
 * answer sender's worst case (4 attempts of 5 s, with backoff) fits in it.
 */
export const ANSWER_RESERVE_MS = 25_000;
/** A proof lease older than this belongs to an invocation that died: the validator's own timeout. */
export const PROOF_LEASE_MS = 300_000;
/** How long one connection may take in re-validation (an existing role needs no propagation wait). */
export const REVALIDATION_BUDGET_MS = 15_000;
/** How many answered request ids a connection remembers (a stack has at most a few in flight). */

export interface ValidatorDependencies extends OnboardingDependencies {
  prover: RoleProver;
  answers: AnswerSender;
  /** The current template and what updating to it changes: re-validation tells customers of upgrades. */
  templateCatalogue?: TemplateCatalogue;
  /** Proves the role may do what the provider needs, once its trust is proven (docs/architecture.md §9.4). */
  permissions?: PermissionChecker;
  /** Proves the account a member of an organization setup's organization (docs/architecture.md §9.7). */
  membership?: MembershipChecker;
  sleep?: (ms: number) => Promise<void>;
}

export type ValidationOutcome =
  | { kind: 'skipped'; reason: string }
  | { kind: 'validated' | 'rejected'; connection: Connection; reason?: string; answered: boolean }
  /** An account proven outside its organization setup's organization: only the audit line is kept. */
  | { kind: 'refused'; reason: string; answered: boolean };

interface Candidate {
  roleArn: string;
  externalId: string;
  previousExternalId?: string;
  /** The setup that brought `externalId` (rotation, migration): used when the candidate is switched in. */
  setupId?: string;
}

/** Whether a check changed what the role is missing: drifted (something new is missing) or restored (nothing is). */
export function permissionDrift(
  before: ConnectionPermissions | undefined,
  after: ConnectionPermissions,
): 'drifted' | 'restored' | undefined {
  if (after.unchecked) return undefined;
  const key = (report: ConnectionPermissions | undefined) =>
    [...(report?.missing ?? []), ...(report?.optionalMissing ?? [])]
      .map(({ action, layer }) => `${action} ${layer}`)
      .sort()
      .join(',');
  const was = key(before);
  const now = key(after);
  if (was === now) return undefined;
  return now === '' ? 'restored' : 'drifted';
}

function candidateOf(connection: Connection): Candidate | undefined {
  if (connection.authMethod === 'ACCESS_KEYS') {
    const { pendingRoleArn, pendingExternalId, pendingSetupId } = connection as Connection & {
      pendingRoleArn?: string;
      pendingExternalId?: string;
      pendingSetupId?: string;
    };
    return pendingRoleArn && pendingExternalId
      ? {
          roleArn: pendingRoleArn,
          externalId: pendingExternalId,
          ...(pendingSetupId ? { setupId: pendingSetupId } : {}),
        }
      : undefined;
  }
  const live = connection.status === 'ACTIVE' || connection.status === 'BROKEN';
  const rotating =
    live &&
    connection.pendingExternalId !== undefined &&
    connection.pendingExternalId !== connection.externalId;
  return {
    roleArn: connection.pendingRoleArn ?? connection.roleArn,
    externalId: connection.pendingExternalId ?? connection.externalId,
    ...(rotating ? { previousExternalId: connection.externalId } : {}),
    ...(connection.pendingExternalId && connection.pendingSetupId
      ? { setupId: connection.pendingSetupId }
      : {}),
  };
}

/** The request a connection still owes an answer to, if any. */
const pendingOf = (connection: Connection | undefined) =>
  connection && 'pendingAnswer' in connection ? connection.pendingAnswer : undefined;

/** The conditional write that records a verdict (and, by clearing the pending answer, claims it). */
function verdictUpdate(
  connection: Connection,
  candidate: Candidate,
  pending: PendingCloudFormationAnswer,
  proof: ProofResult,
  at: Date,
  sourceEventId: string,
  permissions?: PermissionReport,
  organizationId?: string,
): UpdateConnectionInput {
  const audit = (reason: string) => ({ actor: ACTOR, reason, sourceEventId });
  if (proof.ok) {
    // A connection proven before keeps the stack it was proven with (a change comes only through
    // it); a first proof takes the stack that registered it.
    const provenBefore = connection.authMethod === 'ROLE' && connection.status !== 'REGISTERED';
    const stackId = provenBefore ? connection.stackId : pending.stackId;
    // The proven connection holds its stack and its role from this write on (invariants 4 and 9),
    // and lets go of the ones the proven values replace.
    const links = {
      claimLinks: { stackId, roleArn: candidate.roleArn },
      ...(provenBefore ? { releaseLinks: { stackId: connection.stackId, roleArn: connection.roleArn } } : {}),
    };
    // An Update that brought a new template version records it now, proven like any Update.
    const { pendingTemplateVersion, templateVersion } = connection as Connection &
      Partial<Record<'pendingTemplateVersion' | 'templateVersion', string>>;
    const version = pendingTemplateVersion ?? templateVersion;
    const proven = {
      roleArn: candidate.roleArn,
      externalId: candidate.externalId,
      // None for a connection registered by API or Terraform (docs/architecture.md §9.6).
      ...(stackId ? { stackId } : {}),
      validatedAt: at.toISOString(),
      ...(candidate.setupId ? { setupId: candidate.setupId } : {}),
      ...(version ? { templateVersion: version } : {}),
      ...(permissions ? { permissions } : {}),
      ...(organizationId ? { organizationId } : {}),
    };
    // The setup that brought the new External ID is used by this very write, never left OPEN.
    const useSetup = candidate.setupId
      ? { customerId: connection.customerId, setupId: candidate.setupId, externalId: candidate.externalId }
      : undefined;
    if (connection.authMethod === 'ACCESS_KEYS') {
      return {
        connection,
        set: { ...proven, authMethod: 'ROLE' },
        remove: [...PENDING_FIELDS, 'secretRef', 'lastRemindedAt', 'lastError'],
        leaveLegacyIndex: true,
        ...links,
        ...(useSetup ? { useSetup } : {}),
        audit: audit('migrated from access keys to a proven role'),
        now: at,
      };
    }
    return {
      connection,
      to: 'ACTIVE',
      set: proven,
      remove: [...PENDING_FIELDS, 'lastError'],
      ...links,
      ...(useSetup ? { useSetup } : {}),
      audit: audit(connection.status === 'ACTIVE' ? 'change proven and switched' : 'role proven'),
      now: at,
    };
  }
  if (connection.status === 'REGISTERED') {
    return {
      connection,
      to: 'FAILED',
      set: { lastError: proof.reason, ...(permissions ? { permissions } : {}) },
      remove: [...PENDING_FIELDS],
      audit: audit(proof.reason),
      now: at,
    };
  }
  // A live connection (or one on access keys) keeps its proven values; only the candidate goes.
  return {
    connection,
    set: { lastError: proof.reason },
    remove: [...PENDING_FIELDS, ...(connection.authMethod === 'ACCESS_KEYS' ? (['stackId'] as const) : [])],
    audit: audit(`change rejected: ${proof.reason}`),
    now: at,
  };
}

export function createValidator(deps: ValidatorDependencies) {
  const { store, logger, metrics, prover, answers, publisher } = deps;
  const now = deps.now ?? (() => new Date());
  const queue = createValidationQueue({ ...deps, now });

  async function emit(events: KeylessEvent[]) {
    const { failed } = await publisher.publish(events);
    if (failed.length > 0) {
      // The verdict is recorded and answered; a lost notification is logged and counted, not retried forever.
      logger.error('Verdict events not published', { failed });
      metrics.addMetric('EventPublishFailed', MetricUnit.Count, failed.length);
    }
  }

  /** Answers CloudFormation, when the request came from a stack; true when delivered (or none was owed). */
  async function answer(pending: PendingCloudFormationAnswer, proof: ProofResult, roleArn: string) {
    const target = cloudFormationTargetOf(pending);
    if (!target) return true;
    const body = proof.ok
      ? successAnswer(target, { RoleArn: roleArn })
      : failedAnswer(target, proof.reason, { RoleArn: roleArn });
    const delivery = await answers.send(target.responseUrl, body);
    if (!delivery.delivered) {
      logger.error('CloudFormation answer not delivered', { requestId: pending.requestId, delivery });
      metrics.addMetric('CloudFormationAnswerFailed', MetricUnit.Count, 1);
    }
    return delivery.delivered;
  }

  /** A failed proof when another connection holds the candidate's stack or role. */
  async function linkConflict(
    connection: Connection,
    candidate: Candidate,
    pending: PendingCloudFormationAnswer,
  ): Promise<ProofResult | undefined> {
    const [stackLink, roleLink] = await Promise.all([
      pending.stackId ? store.findStackLink(pending.stackId) : undefined,
      store.findRoleLink(candidate.roleArn),
    ]);
    const other = (link: { customerId: string; accountId: string } | undefined) =>
      link !== undefined &&
      (link.customerId !== connection.customerId || link.accountId !== connection.accountId);
    if (other(roleLink)) {
      return {
        ok: false,
        conclusive: true,
        failureClass: 'role-or-stack-in-use',
        reason: new LinkConflictError('role', candidate.roleArn).message,
      };
    }
    if (other(stackLink)) {
      return {
        ok: false,
        conclusive: true,
        failureClass: 'role-or-stack-in-use',
        reason: new LinkConflictError('stack', pending.stackId ?? '').message,
      };
    }
    return undefined;
  }

  /** `Role Registered`: prove the pending candidate, record the verdict, answer CloudFormation. */
  async function validateRegistration(
    detail: DetailOf<typeof DETAIL_TYPES.roleRegistered>,
    { remainingMs, eventId }: { remainingMs: () => number; eventId: string },
  ): Promise<ValidationOutcome> {
    const connection = await store.getConnection(detail.customerId, detail.accountId);
    const pending = pendingOf(connection);
    if (!connection || connection.status === 'REVOKED' || pending?.requestId !== detail.correlationId) {
      logger.info('Nothing to validate: stale or duplicate event', { correlationId: detail.correlationId });
      return { kind: 'skipped', reason: 'no pending request with this id' };
    }
    if (pending.queued) {
      // Announced again once its organization setup's queue gives it a slot (invariant 10).
      logger.info('Waiting in its setup’s queue', { correlationId: detail.correlationId });
      return { kind: 'skipped', reason: 'waiting for a validation slot' };
    }
    const candidate = candidateOf(connection);
    if (!candidate || !pending) return { kind: 'skipped', reason: 'no candidate role' };

    // One proof per request: a redelivered event finds the lease taken and stops here.
    const lease = {
      customerId: connection.customerId,
      accountId: connection.accountId,
      requestId: pending.requestId,
      startedAt: now(),
    };
    const leased = await store.leaseProof({
      ...lease,
      now: lease.startedAt,
      staleBefore: new Date(lease.startedAt.getTime() - PROOF_LEASE_MS),
    });
    if (!leased) {
      logger.info('Another invocation is proving this request', { correlationId: detail.correlationId });
      return { kind: 'skipped', reason: 'being proven by another invocation' };
    }
    try {
      return await proveAndSettle(connection, pending, candidate, detail, { remainingMs, eventId });
    } catch (error) {
      // The platform retries the event: give the lease back so the retry proves the request.
      await store.releaseProof(lease).catch(() => undefined);
      throw error;
    }
  }

  /** Proves a leased request's candidate, records the verdict, answers CloudFormation. */
  async function proveAndSettle(
    read: Connection,
    leasedPending: PendingCloudFormationAnswer,
    candidate: Candidate,
    detail: DetailOf<typeof DETAIL_TYPES.roleRegistered>,
    { remainingMs, eventId }: { remainingMs: () => number; eventId: string },
  ): Promise<ValidationOutcome> {
    let connection: Connection | undefined = read;
    let pending: PendingCloudFormationAnswer | undefined = leasedPending;
    const deadline = Math.min(pending.deadline, now().getTime() + remainingMs() - ANSWER_RESERVE_MS);
    const provingSince = now().getTime();
    // A stack or role another connection holds is refused before any AssumeRole.
    let proof =
      (await linkConflict(connection, candidate, pending)) ??
      (await prover.prove({
        customerId: connection.customerId,
        ...candidate,
        decoyExternalId: generateExternalId(connection.customerId),
        deadline,
      }));
    let organizationId: string | undefined;
    let nonMember = false;
    if (proof.ok)
      ({ proof, organizationId, nonMember } = await checkMembership(connection, candidate, proof, deadline));
    let permissionReport: PermissionReport | undefined;
    if (proof.ok) ({ proof, report: permissionReport } = await checkPermissions(proof, candidate.roleArn));
    logger.info('Role proof settled', { ok: proof.ok, ...(proof.ok ? {} : { reason: proof.reason }) });

    // Claim the answer with a conditional write; on a lost race, re-read and try again only if
    // the same request is still pending (an unrelated write such as a reminder stamp).
    let updated: Connection | undefined;
    let discarded = false;
    for (let attempt = 1; attempt <= 3 && !updated; attempt++) {
      try {
        // An account proven outside the organization leaves nothing but the audit line, unless it
        // carries a revocation time that invariant 9 needs kept (then it is FAILED as any other).
        if (
          nonMember &&
          !proof.ok &&
          connection.status === 'REGISTERED' &&
          connection.authMethod === 'ROLE' &&
          connection.offersValidAfter === undefined
        ) {
          await store.discardUnproven({
            connection,
            audit: { actor: ACTOR, reason: proof.reason, sourceEventId: eventId },
            now: now(),
          });
          updated = connection;
          discarded = true;
          break;
        }
        const verdict = verdictUpdate(
          connection,
          candidate,
          pending,
          proof,
          now(),
          eventId,
          permissionReport,
          organizationId,
        );
        const answeredRequestIds = withAnsweredRequest(connection.answeredRequestIds, pending.requestId);
        updated = await store.updateConnection({ ...verdict, set: { ...verdict.set, answeredRequestIds } });
      } catch (error) {
        if (error instanceof LinkConflictError) {
          // Another connection was proven with this stack or role meanwhile: this one is refused.
          proof = {
            ok: false,
            conclusive: true,
            failureClass: 'role-or-stack-in-use',
            reason: error.message,
          };
          continue;
        }
        if (!(error instanceof ConflictError)) throw error;
        connection = await store.getConnection(detail.customerId, detail.accountId);
        pending = pendingOf(connection);
        if (!connection || connection.status === 'REVOKED' || pending?.requestId !== detail.correlationId) {
          logger.info('Another invocation settled this request', { correlationId: detail.correlationId });
          return { kind: 'skipped', reason: 'settled elsewhere' };
        }
      }
    }
    if (!updated || !pending) throw new Error('Could not record the verdict after 3 attempts.');

    const answered = await answer(pending, proof, candidate.roleArn);
    if (pending.slotSetupId) {
      await store.releaseValidationSlot({
        customerId: updated.customerId,
        setupId: pending.slotSetupId,
        accountId: updated.accountId,
        until: pending.deadline,
      });
      // The freed slot goes to the next registration waiting in an organization setup's queue.
      await queue.drain({ customerId: updated.customerId, setupId: pending.slotSetupId });
    }
    metrics.addMetric(proof.ok ? 'RoleValidated' : 'RoleValidationFailed', MetricUnit.Count, 1);
    // The dashboard's validation latency and failures by reason class (docs/architecture.md §11).
    metrics.addMetric(
      METRIC_NAMES.validationLatency,
      MetricUnit.Milliseconds,
      now().getTime() - provingSince,
    );
    if (!proof.ok) {
      countWithDimension(
        metrics,
        METRIC_NAMES.onboardingFailed,
        DIMENSIONS.reasonClass,
        proof.failureClass ?? 'other',
      );
    }
    const base = {
      customerId: updated.customerId,
      accountId: updated.accountId,
      version: updated.version,
      correlationId: detail.correlationId,
      roleArn: candidate.roleArn,
    };
    await emit([
      proof.ok
        ? { detailType: DETAIL_TYPES.roleValidated, detail: base }
        : { detailType: DETAIL_TYPES.roleValidationFailed, detail: { ...base, reason: proof.reason } },
    ]);
    if (discarded && !proof.ok) return { kind: 'refused', reason: proof.reason, answered };
    return proof.ok
      ? { kind: 'validated', connection: updated, answered }
      : { kind: 'rejected', connection: updated, reason: proof.reason, answered };
  }

  /**
   * After the trust is proven, for a registration through an organization setup: is the account a
   * member of the setup's organization (binding an unbound setup to it)? Any other setup: nothing
   * to prove. The setup is the candidate's (rotation, migration) or the connection's own.
   */
  async function checkMembership(
    connection: Connection,
    candidate: Candidate,
    proof: ProofResult & { ok: true },
    deadline: number,
  ): Promise<{ proof: ProofResult; organizationId?: string; nonMember: boolean }> {
    const setupId = candidate.setupId ?? (connection.authMethod === 'ROLE' ? connection.setupId : undefined);
    const setup = setupId ? await store.getSetup(connection.customerId, setupId) : undefined;
    if (setup?.scope !== 'organization') return { proof, nonMember: false };
    const { membership } = deps;
    if (!membership || !proof.credentials) {
      // Never connect an organization setup's account unproven.
      return {
        proof: {
          ok: false,
          conclusive: false,
          failureClass: 'unconfirmed',
          reason: `Keyless could not check that account ${connection.accountId} is a member of the organization: retry the stack.`,
        },
        nonMember: false,
      };
    }
    // The account whose session answers: the role's (the callback refuses a role outside the stack's account).
    const accountId = ROLE_ARN_PATTERN.exec(candidate.roleArn)?.[2] ?? connection.accountId;
    const result = await membership.check({
      accountId,
      organizationId: setup.organizationId,
      credentials: proof.credentials,
      deadline,
      bind: async (organizationId) => {
        const key = { customerId: setup.customerId, setupId: setup.setupId, organizationId };
        if (await store.bindSetupOrganization(key)) {
          logger.info('Organization setup bound', { setupId: setup.setupId, organizationId });
          return { bound: true };
        }
        const current = await store.getSetup(setup.customerId, setup.setupId);
        return { bound: false, boundTo: current?.organizationId };
      },
    });
    if (!result.ok) return { proof: result.proof, nonMember: result.nonMember };
    return { proof, organizationId: result.organizationId, nonMember: false };
  }

  /**
   * After the trust is proven: may the role do what the provider needs? A required action denied
   * fails the proof, naming the actions, the layer and the fix; optional ones are only recorded.
   */
  async function checkPermissions(
    proof: ProofResult & { ok: true },
    roleArn: string,
  ): Promise<{ proof: ProofResult; report: PermissionReport | undefined }> {
    const { permissions } = deps;
    if (!permissions?.enabled || !proof.credentials) return { proof, report: undefined };
    const report = await permissions.check({ roleArn, credentials: proof.credentials });
    if (report.unchecked) logger.warn('Permissions not checked', { roleArn, reason: report.unchecked });
    if (report.unprobed) logger.warn('Probes inconclusive', { roleArn, unprobed: report.unprobed });
    if (report.missing.length === 0) return { proof, report };
    return {
      proof: {
        ok: false,
        conclusive: true,
        failureClass: 'permissions-denied',
        reason: describeMissing(report.missing, roleArn),
      },
      report,
    };
  }

  /** The upgrade a connection's stack could take and its customer was not yet told of. */
  function upgradeToTell(connection: Connection & { authMethod: 'ROLE' }) {
    const { templateCatalogue } = deps;
    if (!templateCatalogue || !connection.templateVersion) return undefined;
    const upgrade = upgradeFrom(templateCatalogue, connection.templateVersion);
    if (!upgrade || connection.upgradeNotifiedVersion === String(upgrade.toVersion)) return undefined;
    return { ...upgrade, fromVersion: connection.templateVersion };
  }

  /** Re-checks one live connection; ACTIVE → BROKEN on a conclusive failure, BROKEN → ACTIVE on success. */
  async function revalidateOne(connection: Connection, deadline: number, correlationId: string) {
    if (connection.authMethod !== 'ROLE' || connection.pendingAnswer) return 'skipped' as const;
    const proof = await prover.prove({
      customerId: connection.customerId,
      roleArn: connection.roleArn,
      externalId: connection.externalId,
      decoyExternalId: generateExternalId(connection.customerId),
      deadline,
    });
    const at = now();
    const audit = (reason: string) => ({ actor: ACTOR, reason, sourceEventId: correlationId });
    const base = {
      customerId: connection.customerId,
      accountId: connection.accountId,
      correlationId,
      roleArn: connection.roleArn,
    };
    if (proof.ok) {
      const upgrade = upgradeToTell(connection);
      // Drift: the role still assumes fine but may have lost actions (an SCP, a boundary, an edit).
      // The connection stays ACTIVE: its credentials still work for what is allowed.
      const checked =
        deps.permissions?.enabled && proof.credentials
          ? withUnprobedFindings(
              connection.permissions,
              await deps.permissions.check({ roleArn: connection.roleArn, credentials: proof.credentials }),
            )
          : undefined;
      if (checked?.unprobed)
        logger.warn('Probes inconclusive; their last findings stand', {
          ...base,
          unprobed: checked.unprobed,
        });
      const drift = checked ? permissionDrift(connection.permissions, checked) : undefined;
      // The marks are set by the same conditional write: one notice per connection and change.
      const updated = await store.updateConnection({
        connection,
        to: 'ACTIVE',
        set: {
          validatedAt: at.toISOString(),
          ...(upgrade ? { upgradeNotifiedVersion: String(upgrade.toVersion) } : {}),
          ...(checked ? { permissions: checked } : {}),
        },
        ...(drift
          ? { audit: audit(drift === 'drifted' ? 'permissions drifted' : 'permissions restored') }
          : {}),
        remove: ['lastError'],
        ...(connection.status === 'BROKEN' ? { audit: audit('re-validation succeeded') } : {}),
        now: at,
      });
      const verdicts: KeylessEvent[] = [];
      if (connection.status === 'BROKEN')
        verdicts.push({
          detailType: DETAIL_TYPES.roleValidated,
          detail: { ...base, version: updated.version },
        });
      if (upgrade) {
        verdicts.push({
          detailType: DETAIL_TYPES.templateUpgradeAvailable,
          detail: {
            customerId: connection.customerId,
            accountId: connection.accountId,
            version: updated.version,
            correlationId,
            stackId: connection.stackId ?? '',
            fromVersion: upgrade.fromVersion,
            toVersion: String(upgrade.toVersion),
            changes: upgrade.changes,
          },
        });
        metrics.addMetric('TemplateUpgradeAvailable', MetricUnit.Count, 1);
      }
      if (drift && checked) {
        const detail = {
          ...base,
          version: updated.version,
          missing: checked.missing,
          optionalMissing: checked.optionalMissing,
        };
        verdicts.push(
          drift === 'drifted'
            ? { detailType: DETAIL_TYPES.permissionsDrifted, detail }
            : { detailType: DETAIL_TYPES.permissionsRestored, detail },
        );
      }
      if (verdicts.length > 0) await emit(verdicts);
      return connection.status === 'BROKEN' ? ('recovered' as const) : ('healthy' as const);
    }
    if (!proof.conclusive) {
      logger.warn('Re-validation inconclusive; left unchanged', { ...base, reason: proof.reason });
      return 'inconclusive' as const;
    }
    if (connection.status === 'BROKEN') return 'still-broken' as const;
    const updated = await store.updateConnection({
      connection,
      to: 'BROKEN',
      set: { lastError: proof.reason },
      audit: audit(proof.reason),
      now: at,
    });
    metrics.addMetric('ConnectionBroken', MetricUnit.Count, 1);
    await emit([
      {
        detailType: DETAIL_TYPES.roleValidationFailed,
        detail: { ...base, version: updated.version, reason: proof.reason },
      },
    ]);
    return 'broken' as const;
  }

  /**
   * Re-validation mode: every ACTIVE or BROKEN role connection (or only one customer's, or one
   * connection), a few at a time, stopping cleanly before the invocation runs out of time.
   */
  async function revalidate(
    scope: { customerId?: string; accountId?: string },
    {
      remainingMs,
      eventId,
      concurrency = 4,
    }: { remainingMs: () => number; eventId: string; concurrency?: number },
  ) {
    const counts: Record<string, number> = {};
    const source: AsyncIterable<Connection> | Connection[] = scope.customerId
      ? (await store.listAllConnections(scope.customerId)).filter(
          (c) =>
            (!scope.accountId || c.accountId === scope.accountId) &&
            (c.status === 'ACTIVE' || c.status === 'BROKEN'),
        )
      : store.connectionsByStatus(['ACTIVE', 'BROKEN']);
    let batch: Connection[] = [];
    let stopped = false;
    const flush = async () => {
      const deadline = now().getTime() + Math.min(REVALIDATION_BUDGET_MS, remainingMs() - ANSWER_RESERVE_MS);
      const results = await Promise.allSettled(batch.map((c) => revalidateOne(c, deadline, eventId)));
      for (const result of results) {
        const key = result.status === 'fulfilled' ? result.value : 'error';
        if (result.status === 'rejected')
          logger.error('Re-validation of a connection failed', { error: result.reason });
        counts[key] = (counts[key] ?? 0) + 1;
      }
      batch = [];
    };
    for await (const connection of source) {
      if (remainingMs() < REVALIDATION_BUDGET_MS + ANSWER_RESERVE_MS) {
        stopped = true;
        break;
      }
      batch.push(connection);
      if (batch.length >= concurrency) await flush();
    }
    if (batch.length > 0 && !stopped) await flush();
    if (stopped) logger.warn('Re-validation stopped before the invocation timed out', { counts });
    logger.info('Re-validation done', { counts });
    return { counts, complete: !stopped };
  }

  return { validateRegistration, revalidate };
}
