/**
 * The permission check (docs/architecture.md §9.4): after the trust is proven, the validator asks
 * IAM's policy simulator, with the role's own session, whether the role may do what the provider
 * needs. One SimulatePrincipalPolicy call (paged) covers every action: the identity policies, the
 * permissions boundary and the organization's service control policies as AWS evaluates them for
 * the role. The template grants iam:SimulatePrincipalPolicy on the role itself and nothing more.
 * Then each action the config marks as a probe, and the simulator allowed, is tried with one real
 * read-only call (probes.ts), which also sees resource control and resource-based policies.
 */
import {
  type ContextEntry,
  type EvaluationResult,
  IAMClient,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import type { Credentials } from '@aws-sdk/client-sts';
import { ROLE_ARN_PATTERN } from '../domain/sts-limits.ts';
import type { CaptureClient } from '../xray/tracer.ts';
import { type PermissionCheck, resolveResource, resolveResources } from './checks.ts';
import { type DenialLayer, LAYER_WORDS, layerOf, layerOfAccessDenied, UNSIMULATED_LAYERS } from './denial.ts';
import { isProbeAction, type ProbeAction } from './probe-catalogue.ts';
import { PROBE_CALLS, type ProbeCall, type ProbeOutcome, runProbe } from './probes.ts';

export interface PermissionFinding {
  action: string;
  layer: DenialLayer;
}

/** What a check found, as the connection records it (`permissions`). */
export interface PermissionReport {
  checkedAt: string;
  /** Required actions the role cannot take. */
  missing: PermissionFinding[];
  /** Optional actions the role cannot take: reported, never failing. */
  optionalMissing: PermissionFinding[];
  /** Set when the simulator could not be asked (the role may not call it): nothing was checked. */
  unchecked?: string;
  /** Probed actions whose one call told nothing (throttled, the network): their findings stand as before. */
  unprobed?: string[];
}

export type IamClientFor = (credentials: Credentials) => IAMClient;

export interface PermissionCheckerOptions {
  checks: readonly PermissionCheck[];
  iamFor?: IamClientFor;
  region: string;
  /** Where self-made clients point (the local endpoint); the SDK's regional endpoint when undefined. */
  endpoint?: string | undefined;
  /** The probe calls, by action (tests replace them); the catalogue's by default. */
  probeCalls?: Partial<Record<ProbeAction, ProbeCall>>;
  /** Traces each IAM and probe client made for a session (docs/architecture.md §11). */
  captureClient?: CaptureClient;
  now?: () => Date;
}

const ORDER: Record<EvaluationResult['EvalDecision'] & string, number> = {
  allowed: 0,
  implicitDeny: 1,
  explicitDeny: 2,
};

/** The worst of an action's results on the resources its grant names (all of them must be allowed). */
function decisionFor(result: EvaluationResult, resources: ReadonlySet<string>) {
  const perResource = (result.ResourceSpecificResults ?? []).filter((r) =>
    resources.has(r.EvalResourceName ?? ''),
  );
  const org = result.OrganizationsDecisionDetail?.AllowedByOrganizations;
  if (perResource.length === 0) {
    return {
      decision: result.EvalDecision ?? 'implicitDeny',
      allowedByOrganizations: org,
      allowedByPermissionsBoundary: result.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary,
      missingContextValues: result.MissingContextValues,
    };
  }
  const worst = perResource.reduce((a, b) =>
    ORDER[b.EvalResourceDecision ?? 'implicitDeny'] > ORDER[a.EvalResourceDecision ?? 'implicitDeny'] ? b : a,
  );
  return {
    decision: worst.EvalResourceDecision ?? 'implicitDeny',
    allowedByOrganizations: org,
    allowedByPermissionsBoundary: worst.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary,
    missingContextValues: worst.MissingContextValues,
  };
}

/** The simulator's context: every condition value the grants name (a key named twice differently is left out). */
function contextEntries(checks: readonly PermissionCheck[]): ContextEntry[] {
  const values = new Map<string, string[] | null>();
  for (const check of checks) {
    for (const [key, list] of Object.entries(check.context)) {
      const seen = values.get(key);
      if (seen === undefined) values.set(key, list);
      else if (seen !== null && JSON.stringify(seen) !== JSON.stringify(list)) values.set(key, null);
    }
  }
  return [...values].flatMap(([key, list]) =>
    list
      ? [
          {
            ContextKeyName: key,
            ContextKeyValues: list,
            ContextKeyType: list.length === 1 ? 'string' : 'stringList',
          } satisfies ContextEntry,
        ]
      : [],
  );
}

export function createPermissionChecker({
  checks,
  iamFor,
  region,
  endpoint,
  probeCalls = PROBE_CALLS,
  captureClient,
  now = () => new Date(),
}: PermissionCheckerOptions) {
  const clientFor: IamClientFor =
    iamFor ??
    ((credentials) => {
      const client = new IAMClient({
        region,
        ...(endpoint ? { endpoint } : {}),
        credentials: {
          accessKeyId: credentials.AccessKeyId!,
          secretAccessKey: credentials.SecretAccessKey!,
          sessionToken: credentials.SessionToken!,
        },
      });
      captureClient?.(client);
      return client;
    });

  /** The one call of an action's probe, if the config marks one. */
  async function probe(
    check: PermissionCheck,
    place: { partition: string; accountId: string; credentials: Credentials },
  ): Promise<ProbeOutcome | undefined> {
    if (!check.probe) return undefined;
    const call = isProbeAction(check.action) ? probeCalls[check.action] : undefined;
    if (!call) return { kind: 'inconclusive', reason: `no probe for ${check.action}` };
    const resource = resolveResource(check.probe.resource, { ...place, region });
    return runProbe(call, {
      resource,
      region: resource.split(':')[3] || region,
      credentials: place.credentials,
      endpoint,
      captureClient,
    });
  }

  return {
    /** Whether there is anything to check (a config may grant only wildcard actions or managed policies). */
    enabled: checks.length > 0,

    async check({
      roleArn,
      credentials,
    }: {
      roleArn: string;
      credentials: Credentials;
    }): Promise<PermissionReport> {
      const checkedAt = now().toISOString();
      const [, partition = 'aws', accountId = ''] = ROLE_ARN_PATTERN.exec(roleArn) ?? [];
      const resourcesOf = new Map(
        checks.map((check) => [
          check.action,
          new Set(resolveResources(check, { partition, accountId, region })),
        ]),
      );
      const client = clientFor(credentials);
      const results: EvaluationResult[] = [];
      try {
        let marker: string | undefined;
        do {
          const page = await client.send(
            new SimulatePrincipalPolicyCommand({
              PolicySourceArn: roleArn,
              ActionNames: checks.map((check) => check.action),
              ResourceArns: [...new Set([...resourcesOf.values()].flatMap((set) => [...set]))],
              ContextEntries: contextEntries(checks),
              ...(marker ? { Marker: marker } : {}),
            }),
          );
          results.push(...(page.EvaluationResults ?? []));
          marker = page.IsTruncated ? page.Marker : undefined;
        } while (marker);
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        const layer =
          name === 'AccessDenied' || name === 'AccessDeniedException'
            ? layerOfAccessDenied(message)
            : undefined;
        return {
          checkedAt,
          missing: [],
          optionalMissing: [],
          unchecked:
            layer !== undefined
              ? `The role may not ask IAM's policy simulator about itself (iam:SimulatePrincipalPolicy is ${LAYER_WORDS[layer].denial}): its permissions were not checked.`
              : `IAM's policy simulator could not be reached (${name}): the role's permissions were not checked.`,
        };
      } finally {
        client.destroy();
      }
      const missing: PermissionFinding[] = [];
      const optionalMissing: PermissionFinding[] = [];
      const allowed: PermissionCheck[] = [];
      for (const check of checks) {
        const result = results.find((r) => r.EvalActionName === check.action);
        const layer = result ? layerOf(decisionFor(result, resourcesOf.get(check.action)!)) : 'unknown';
        if (layer === undefined) allowed.push(check);
        else (check.optional ? optionalMissing : missing).push({ action: check.action, layer });
      }
      // One call per probed action the simulator allowed: what it denied, a probe need not repeat.
      const unprobed: string[] = [];
      const probed = await Promise.all(
        allowed.map(async (check) => ({
          check,
          outcome: await probe(check, { partition, accountId, credentials }),
        })),
      );
      for (const { check, outcome } of probed) {
        if (!outcome) continue;
        if (outcome.kind === 'inconclusive') unprobed.push(check.action);
        const layer = outcome.kind === 'denied' ? outcome.layer : undefined;
        // A probe on a resource that does not exist cannot satisfy what the grant names about its
        // resource (its name, its tags): the simulator judged those; only layers it cannot see count.
        if (layer && (check.probe?.named || UNSIMULATED_LAYERS.has(layer)))
          (check.optional ? optionalMissing : missing).push({ action: check.action, layer });
      }
      return { checkedAt, missing, optionalMissing, ...(unprobed.length > 0 ? { unprobed } : {}) };
    },
  };
}

/**
 * A new report with what its unprobed actions' probes found last time carried over (the layers only
 * a probe sees): a throttled probe tells nothing, so the last finding stands and no drift is announced.
 */
export function withUnprobedFindings(
  previous: { missing: readonly RecordedFinding[]; optionalMissing: readonly RecordedFinding[] } | undefined,
  report: PermissionReport,
): PermissionReport {
  const carried = new Set(report.unprobed ?? []);
  if (!previous || carried.size === 0) return report;
  const carry = (now: PermissionFinding[], before: readonly RecordedFinding[]) => [
    ...now,
    ...before
      .filter(
        (finding) =>
          carried.has(finding.action) &&
          UNSIMULATED_LAYERS.has(finding.layer as DenialLayer) &&
          !now.some((f) => f.action === finding.action),
      )
      .map((finding) => finding as PermissionFinding),
  ];
  return {
    ...report,
    missing: carry(report.missing, previous.missing),
    optionalMissing: carry(report.optionalMissing, previous.optionalMissing),
  };
}

/** A finding as a connection recorded it (its layer read back as a string). */
type RecordedFinding = { action: string; layer: string };

export type PermissionChecker = ReturnType<typeof createPermissionChecker>;

/**
 * What the customer reads when required actions are denied: the actions, the layer and the fix,
 * one sentence per layer ("ce:GetCostAndUsage is denied by a service control policy in this
 * account: ask your AWS administrator to allow it for role KeylessAccess").
 */
export function describeMissing(findings: readonly PermissionFinding[], roleArn: string): string {
  const role = roleArn.split('/').pop() ?? roleArn;
  const byLayer = new Map<DenialLayer, string[]>();
  for (const { action, layer } of findings) byLayer.set(layer, [...(byLayer.get(layer) ?? []), action]);
  return [...byLayer]
    .map(([layer, actions]) => {
      const words = LAYER_WORDS[layer];
      const list =
        actions.length === 1 ? actions[0] : `${actions.slice(0, -1).join(', ')} and ${actions.at(-1)}`;
      return `${list} ${actions.length === 1 ? 'is' : 'are'} ${words.denial}: ${words.fix(role).replace(/\bit\b/, actions.length === 1 ? 'it' : 'them')}.`;
    })
    .join(' ');
}
