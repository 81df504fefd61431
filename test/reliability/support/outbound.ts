/**
 * Every outbound HTTP request of the process, watched at two levels so "no request to a host
 * outside the allow-list" is observed, not assumed:
 *
 * - `fetch` (what the CloudFormation answer sender uses) is replaced before the handlers load.
 *   Requests to the local recording server go through; requests to a genuine CloudFormation
 *   response bucket endpoint (the test's own list, independent of the code under test) are
 *   answered here with 200 and recorded, never sent to the network; anything else is recorded
 *   as forbidden and fails like an unreachable host.
 * - Node's diagnostics channels (`undici:request:create` for fetch, `http.client.request.start`
 *   for node:http, which the AWS SDK uses) report every request actually leaving the process,
 *   even through a `fetch` captured before the replacement. Only the local origins may appear.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { CloudFormationAnswer } from '#shared/cloudformation/answer.ts';

export interface OutboundRequest {
  url: string;
  method: string;
  /** `local`: sent to a local server; `simulated-s3`: answered by this guard; `forbidden`: blocked. */
  verdict: 'local' | 'simulated-s3' | 'forbidden';
  contentType: string | null | undefined;
  body: string;
}

/** Regions of the three partitions, with the endpoint spellings S3 serves for each. */
export const GENUINE_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-1',
  'eu-central-1',
  'eu-north-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-south-1',
  'sa-east-1',
  'me-central-1',
  'il-central-1',
  'cn-north-1',
  'cn-northwest-1',
  'us-gov-west-1',
  'us-gov-east-1',
] as const;

const compact = (region: string) => region.replaceAll('-', '');
const suffixOf = (region: string) => (region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com');
export const bucketOf = (region: string) => `cloudformation-custom-resource-response-${compact(region)}`;

/** The S3 endpoints a region's response bucket is reachable on (global only in the aws partition). */
export function endpointsOf(region: string): string[] {
  const suffix = suffixOf(region);
  const regional = [
    `s3.${region}.${suffix}`,
    `s3-${region}.${suffix}`,
    `s3.dualstack.${region}.${suffix}`,
    ...(region.startsWith('us-') || region.startsWith('ca-')
      ? [`s3-fips.${region}.${suffix}`, `s3-fips.dualstack.${region}.${suffix}`]
      : []),
  ];
  const global = region.startsWith('cn-') || region.startsWith('us-gov-') ? [] : [`s3.${suffix}`];
  return [...global, ...regional];
}

const GENUINE_VIRTUAL_HOSTS = new Set(
  GENUINE_REGIONS.flatMap((region) => endpointsOf(region).map((e) => `${bucketOf(region)}.${e}`)),
);
const GENUINE_PATH_HOSTS = new Map<string, Set<string>>();
for (const region of GENUINE_REGIONS) {
  for (const endpoint of endpointsOf(region)) {
    const buckets = GENUINE_PATH_HOSTS.get(endpoint) ?? new Set<string>();
    buckets.add(bucketOf(region));
    GENUINE_PATH_HOSTS.set(endpoint, buckets);
  }
}

/** The test's own oracle: an https URL on a genuine CloudFormation response bucket endpoint. */
export function isGenuineResponseUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '')
    return false;
  if (GENUINE_VIRTUAL_HOSTS.has(url.hostname)) return true;
  const bucket = url.pathname.split('/')[1] ?? '';
  return GENUINE_PATH_HOSTS.get(url.hostname)?.has(bucket) ?? false;
}

export interface OutboundGuard {
  requests: OutboundRequest[];
  /** Hosts (host:port) seen leaving the process through the diagnostics channels. */
  wire: { host: string; allowed: boolean }[];
  /** The parsed CloudFormation answers PUT anywhere (local or simulated), in order. */
  answers(): CloudFormationAnswer[];
  answersFor(requestId: string): CloudFormationAnswer[];
  forbidden(): (OutboundRequest | { host: string })[];
  /** Allows one more local host:port (e.g. DynamoDB Local) on the wire. */
  allowHost(host: string): void;
  /** Answers the next simulated S3 PUTs with these status codes (then 200 again). */
  failNext(...statuses: number[]): void;
  reset(): void;
  uninstall(): void;
}

/** Installs the guard: call before importing a handler, whose answer sender captures `fetch` at load. */
export function installOutboundGuard({ localOrigins }: { localOrigins: string[] }): OutboundGuard {
  const realFetch = globalThis.fetch;
  const requests: OutboundRequest[] = [];
  const wire: OutboundGuard['wire'] = [];
  const allowedHosts = new Set(localOrigins.map((origin) => new URL(origin).host));
  const statuses: number[] = [];

  const guardedFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const headers = new Headers(init?.headers);
    const record = (verdict: OutboundRequest['verdict']) =>
      requests.push({
        url,
        method: init?.method ?? 'GET',
        verdict,
        contentType: headers.get('content-type'),
        body: typeof init?.body === 'string' ? init.body : '',
      });
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed && localOrigins.includes(parsed.origin)) {
      record('local');
      return realFetch(input, init);
    }
    if (isGenuineResponseUrl(url)) {
      record('simulated-s3');
      return new Response(null, { status: statuses.shift() ?? 200 });
    }
    record('forbidden');
    throw new TypeError('fetch failed: the host is outside the test allow-list');
  };
  globalThis.fetch = guardedFetch;

  const onUndici = (message: unknown) => {
    const { request } = message as { request: { origin: string | URL } };
    const host = new URL(String(request.origin)).host;
    wire.push({ host, allowed: allowedHosts.has(host) });
  };
  const onHttp = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    const host = String(request.getHeader('host') ?? request.host);
    wire.push({ host, allowed: allowedHosts.has(host) });
  };
  subscribe('undici:request:create', onUndici);
  subscribe('http.client.request.start', onHttp);

  const answers = () =>
    requests
      .filter((r) => r.verdict !== 'forbidden' && r.method === 'PUT')
      .map((r) => JSON.parse(r.body) as CloudFormationAnswer);
  return {
    requests,
    wire,
    answers,
    answersFor: (requestId) => answers().filter((a) => a.RequestId === requestId),
    forbidden: () => [
      ...requests.filter((r) => r.verdict === 'forbidden'),
      ...wire.filter((w) => !w.allowed).map((w) => ({ host: w.host })),
    ],
    allowHost: (host) => allowedHosts.add(host),
    failNext: (...codes) => statuses.push(...codes),
    reset() {
      requests.length = 0;
      wire.length = 0;
      statuses.length = 0;
    },
    uninstall() {
      globalThis.fetch = realFetch;
      unsubscribe('undici:request:create', onUndici);
      unsubscribe('http.client.request.start', onHttp);
    },
  };
}
