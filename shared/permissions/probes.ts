/**
 * Probes (docs/architecture.md §9.4): for an action the provider config marks, one cheap read-only
 * call in the role's own session, to see what IAM's policy simulator cannot — resource control
 * policies and resource-based policies. Each call is made once (no SDK retry) and its answer
 * classified: allowed (success, or ResourceNotFoundException, which DynamoDB gives only to an
 * authorized caller), denied (AccessDenied, with the layer its message names), or
 * inconclusive (throttling, expired credentials, the network, anything else).
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Credentials } from '@aws-sdk/client-sts';
import type { CaptureClient } from '../xray/tracer.ts';
import { type DenialLayer, layerOfAccessDenied } from './denial.ts';
import type { ProbeAction } from './probe-catalogue.ts';

export type ProbeOutcome =
  | { kind: 'allowed' }
  | { kind: 'denied'; layer: DenialLayer }
  | { kind: 'inconclusive'; reason: string };

/** Where one call goes and as whom: the role's session, the resource's region, the endpoint if local. */
export interface ProbeTarget {
  /** The resolved ARN of the resource the call names. */
  resource: string;
  region: string;
  credentials: Credentials;
  endpoint?: string | undefined;
  /** Traces the call's client (docs/architecture.md §11). */
  captureClient?: CaptureClient | undefined;
}

/** One call; it throws what the SDK throws. */
export type ProbeCall = (target: ProbeTarget) => Promise<void>;

/** The error names AWS answers a call it does not authorize with, across protocols. */
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'UnauthorizedOperation',
]);
/** Given only after the call was authorized: the resource simply is not there. */
const AUTHORIZED_NOT_FOUND = new Set(['ResourceNotFoundException']);

/** What the error one probe call threw says about the action. Never throws. */
export function classifyProbeError(error: unknown): ProbeOutcome {
  if (!(error instanceof Error)) return { kind: 'inconclusive', reason: `a ${typeof error} was thrown` };
  const name = typeof error.name === 'string' && error.name ? error.name : 'Error';
  if (AUTHORIZED_NOT_FOUND.has(name)) return { kind: 'allowed' };
  if (ACCESS_DENIED.has(name)) return { kind: 'denied', layer: layerOfAccessDenied(String(error.message)) };
  return { kind: 'inconclusive', reason: name.slice(0, 100) };
}

const sdkCredentials = (credentials: Credentials) => ({
  accessKeyId: credentials.AccessKeyId ?? '',
  secretAccessKey: credentials.SecretAccessKey ?? '',
  sessionToken: credentials.SessionToken ?? '',
});

/** A client for one call: the role's session, its own region, and no retry (one call per probe). */
const clientOptions = ({ region, credentials, endpoint }: Omit<ProbeTarget, 'captureClient'>) => ({
  region,
  ...(endpoint ? { endpoint } : {}),
  credentials: sdkCredentials(credentials),
  maxAttempts: 1,
});

/** The resource part of an ARN after its type (`…:table/<name>` → `<name>`). */
const nameIn = (arn: string, type: string) => arn.slice(arn.indexOf(type) + type.length);

export const PROBE_CALLS: Record<ProbeAction, ProbeCall> = {
  'dynamodb:DescribeTable': async (target) => {
    const client = new DynamoDBClient(clientOptions(target));
    target.captureClient?.(client);
    try {
      await client.send(new DescribeTableCommand({ TableName: nameIn(target.resource, ':table/') }));
    } finally {
      client.destroy();
    }
  },
};

/** Makes one probe call and classifies its answer. */
export async function runProbe(call: ProbeCall, target: ProbeTarget): Promise<ProbeOutcome> {
  try {
    await call(target);
    return { kind: 'allowed' };
  } catch (error) {
    return classifyProbeError(error);
  }
}
