/**
 * The console's forwarder: the page's `/api/<path>` call becomes the same call to the setup API,
 * signed with SigV4 by the operator's own AWS credentials when the API is a deployed one, so the
 * console adds no way into the provider's account that the AWS CLI does not have
 * (docs/architecture.md §10.1). Only the setup API's own routes are forwarded; only the body, its
 * content type and an Idempotency-Key go upstream; only the status, the body and its content type
 * come back, so no credential or upstream header ever reaches the page.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4, type SignatureV4Init } from '@smithy/signature-v4';
import { pathMatcher } from '#shared/http/router.ts';
import { SETUP_API_ROUTES } from '#shared/onboarding/setup-api-routes.ts';

export interface ApiCall {
  method: string;
  /** The setup API path, `/customers/acme`. */
  path: string;
  /** The query string, `?limit=5` or empty. */
  search: string;
  body?: string;
  contentType?: string;
  idempotencyKey?: string;
}

export interface ApiAnswer {
  status: number;
  body: string;
  contentType: string;
}

export type Forwarder = (call: ApiCall) => Promise<ApiAnswer>;

export interface Signing {
  region: string;
  credentials: SignatureV4Init['credentials'];
}

export interface ForwarderOptions {
  /** The setup API's base URL (a deployed stack's ApiUrl, or the local system). */
  endpoint: string;
  /** SigV4 signing for a deployed API (API Gateway's `execute-api`); none for the local system. */
  signing?: Signing;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const matchRoute = pathMatcher(SETUP_API_ROUTES);

/** Whether `METHOD path` is one of the setup API's routes: nothing else is forwarded. */
export function isSetupApiRoute(method: string, path: string): boolean {
  return matchRoute(path).some(({ route }) => route.method === method);
}

const answer = (status: number, message: string): ApiAnswer => ({
  status,
  body: JSON.stringify({ message }),
  contentType: 'application/json',
});

/** The region of an API Gateway URL (`<id>.execute-api.<region>.amazonaws.com`), if it names one. */
export function regionOfEndpoint(endpoint: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(endpoint).hostname)?.[1];
}

export function createForwarder({
  endpoint,
  signing,
  fetch: send = fetch,
  timeoutMs = 30_000,
}: ForwarderOptions): Forwarder {
  const base = new URL(endpoint);
  const basePath = base.pathname.replace(/\/$/, '');
  const signer = signing
    ? new SignatureV4({
        service: 'execute-api',
        region: signing.region,
        credentials: signing.credentials,
        sha256: Sha256,
      })
    : undefined;

  return async function forward(call) {
    if (!isSetupApiRoute(call.method, call.path))
      return answer(
        404,
        `The console forwards only the setup API's routes; ${call.method} ${call.path} is not one.`,
      );
    const url = new URL(`${basePath}${call.path}${call.search}`, base);
    const headers: Record<string, string> = {
      host: url.host,
      ...(call.body !== undefined ? { 'content-type': call.contentType ?? 'application/json' } : {}),
      ...(call.idempotencyKey ? { 'idempotency-key': call.idempotencyKey } : {}),
    };
    let sent: Record<string, string> = headers;
    try {
      if (signer) {
        const query: Record<string, string | string[]> = {};
        for (const [name, value] of url.searchParams) {
          const seen = query[name];
          query[name] = seen === undefined ? value : [...[seen].flat(), value];
        }
        const signed = await signer.sign({
          method: call.method,
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: url.pathname,
          query,
          headers,
          body: call.body,
        });
        sent = signed.headers;
      }
    } catch (error) {
      // The credential chain's own message says what is missing (profile, SSO login…), never a secret.
      return answer(
        502,
        `No AWS credentials to sign with: ${error instanceof Error ? error.message : error}`,
      );
    }
    // fetch sets Host itself, from the same URL that was signed.
    const { host: _host, ...fetchHeaders } = sent;
    try {
      const response = await send(url, {
        method: call.method,
        headers: fetchHeaders,
        ...(call.body !== undefined ? { body: call.body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      return {
        status: response.status,
        body: await response.text(),
        // Never an upstream HTML page at the console's origin: JSON, or else plain text.
        contentType: /^application\/json\b/.test(response.headers.get('content-type') ?? '')
          ? 'application/json'
          : 'text/plain; charset=utf-8',
      };
    } catch {
      return answer(
        502,
        `The setup API at ${base.origin} did not answer. Is it running, and is the URL right?`,
      );
    }
  };
}
