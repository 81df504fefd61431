/**
 * The console's security model (docs/architecture.md §10.1), without a browser: every request needs
 * the per-run token, the console's own Host and, if it names one, its own Origin; it listens on
 * 127.0.0.1 only; it forwards nothing but the setup API's routes; and a deployed API is signed with
 * SigV4 while no credential reaches the page.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runConsole } from '#local/console/console.ts';
import { createForwarder, regionOfEndpoint } from '#local/console/proxy.ts';
import { type RunningConsole, startConsoleServer, TOKEN_HEADER } from '#local/console/server.ts';

const FAKE = {
  accessKeyId: 'AKIAFAKECONSOLE00000',
  secretAccessKey: 'fake-console-secret-key-not-real',
  sessionToken: 'fake-console-session-token',
};

/** A stand-in for the deployed setup API: records what arrives, answers JSON with headers of its own. */
async function startStubApi() {
  const received: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-amzn-requestid': 'upstream-request-id',
        'set-cookie': 'upstream=1',
      });
      res.end(JSON.stringify({ connections: [], echoedAuthorization: false }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A raw HTTP request, so a test can send any Host or Origin. */
function raw(
  url: string,
  {
    method = 'GET',
    headers = {},
    body,
  }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const everything = (answer: { headers: IncomingHttpHeaders; body: string }) =>
  `${JSON.stringify(answer.headers)}\n${answer.body}`;

describe('the console server', () => {
  let upstream: Awaited<ReturnType<typeof startStubApi>>;
  let consoleServer: RunningConsole;
  const api = (path: string) => `${consoleServer.origin}/api${path}`;

  beforeAll(async () => {
    upstream = await startStubApi();
    consoleServer = await startConsoleServer({ forward: createForwarder({ endpoint: upstream.url }) });
  });
  afterAll(async () => {
    await consoleServer?.close();
    await upstream?.close();
  });
  afterEach(() => {
    upstream.received.length = 0;
  });

  it('serves the page and its files under the token, with a policy that runs only its own script', async () => {
    const page = await raw(consoleServer.url);
    const script = await raw(`${consoleServer.url}app.js`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="app.js">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('serves one bundled script and one stylesheet, chart library included, under a policy with nothing inline or evaluated', async () => {
    const page = await raw(consoleServer.url);
    const script = await raw(`${consoleServer.url}app.js`);
    const style = await raw(`${consoleServer.url}style.css`);
    const policy = page.headers['content-security-policy'] ?? '';
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|wasm-unsafe-eval|\*/);
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=/i);
    // One file: nothing left for the browser to import, and the chart library is in it.
    expect(script.body).not.toMatch(/^\s*import[\s{*]|\bimport\(/m);
    expect(script.body).toContain('uPlot');
    expect(script.body).not.toMatch(/\beval\(|new Function\(/);
    expect(style.status).toBe(200);
    expect(style.headers['content-type']).toMatch(/^text\/css/);
    expect(style.body).toContain('.uplot');
    expect(style.body).not.toContain('@import');
    // The page's source modules are not served one by one.
    expect((await raw(`${consoleServer.url}chart.js`)).status).toBe(404);
  });

  it('refuses the page without the token, and with a wrong one: 403', async () => {
    const wrong = consoleServer.url.replace(consoleServer.token, `${consoleServer.token.slice(0, -1)}x`);
    expect((await raw(`${consoleServer.origin}/`)).status).toBe(403);
    expect((await raw(`${consoleServer.origin}/app.js`)).status).toBe(403);
    expect((await raw(wrong)).status).toBe(403);
  });

  it('refuses an API call without the token, and with a wrong one: 403, and forwards neither', async () => {
    const without = await raw(api('/customers/acme/connections'));
    const wrong = await raw(api('/customers/acme/connections'), {
      headers: { [TOKEN_HEADER]: 'not-the-token' },
    });
    // The token in the page's path is not enough for the API: only the header counts.
    const inPath = await raw(`${consoleServer.url}api/customers/acme/connections`);
    expect(without.status).toBe(403);
    expect(JSON.parse(without.body).message).toMatch(/token is missing or wrong/);
    expect(wrong.status).toBe(403);
    expect(inPath.status).toBe(404);
    expect(upstream.received).toEqual([]);
  });

  it('forwards an API call with the token to the setup API, and only status, body and content type come back', async () => {
    const answer = await raw(api('/customers/acme/connections?limit=5'), {
      headers: { [TOKEN_HEADER]: consoleServer.token, cookie: 'mine=1' },
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ connections: [] });
    expect(upstream.received).toMatchObject([{ method: 'GET', url: '/customers/acme/connections?limit=5' }]);
    // Neither the page's cookies nor its token go upstream; neither upstream's headers nor cookies come back.
    expect(upstream.received[0]?.headers.cookie).toBeUndefined();
    expect(JSON.stringify(upstream.received[0]?.headers)).not.toContain(consoleServer.token);
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect(answer.headers['x-amzn-requestid']).toBeUndefined();
  });

  it.each([
    ['another local page (Origin)', { origin: 'http://127.0.0.1:8080' }],
    ['a web site (Origin)', { origin: 'https://evil.example' }],
    ['a rebound DNS name (Host)', { host: 'evil.example' }],
    ['localhost under another name (Host)', { host: 'localhost' }],
    ['another port of this machine (Sec-Fetch-Site)', { 'sec-fetch-site': 'same-site' }],
    ['a cross-site request (Sec-Fetch-Site)', { 'sec-fetch-site': 'cross-site' }],
  ])('refuses %s with 403, even with the right token', async (_what, headers) => {
    const withPort = 'host' in headers ? { host: `${headers.host}:${consoleServer.port}` } : headers;
    const call = await raw(api('/customers/acme/connections'), {
      headers: { [TOKEN_HEADER]: consoleServer.token, ...withPort },
    });
    const page = await raw(consoleServer.url, { headers: withPort });
    expect(call.status).toBe(403);
    expect(page.status).toBe(403);
    expect(upstream.received).toEqual([]);
  });

  it('answers its own origin, and the operator opening the link', async () => {
    const call = await raw(api('/setups'), {
      method: 'POST',
      headers: {
        [TOKEN_HEADER]: consoleServer.token,
        origin: consoleServer.origin,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ customerId: 'acme' }),
    });
    const opened = await raw(consoleServer.url, { headers: { 'sec-fetch-site': 'none' } });
    expect(call.status).toBe(200);
    expect(upstream.received).toMatchObject([
      { method: 'POST', url: '/setups', body: '{"customerId":"acme"}' },
    ]);
    expect(opened.status).toBe(200);
  });

  it.each([
    ['GET', '/_local/info'],
    ['GET', '/_local/stats'],
    ['POST', '/_local/roles'],
    ['DELETE', '/setups'],
    ['GET', '/customers/acme/connections/111122223333/revoke'],
    ['GET', '/../_local/info'],
  ])('does not forward %s %s, which is not a setup API route', async (method, path) => {
    const call = await raw(api(path), { method, headers: { [TOKEN_HEADER]: consoleServer.token } });
    // 404 from the forwarder; a path that leaves /api/ is a page path without the token, a 403.
    expect([403, 404]).toContain(call.status);
    expect(upstream.received).toEqual([]);
  });

  it('listens on 127.0.0.1 only', async () => {
    const reachable = (host: string) =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ host, port: consoleServer.port, timeout: 1000 });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
        socket.once('timeout', () => {
          socket.destroy();
          resolve(false);
        });
      });
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal)
      .map((address) => address!.address);
    expect(new URL(consoleServer.url).hostname).toBe('127.0.0.1');
    expect(await reachable('127.0.0.1')).toBe(true);
    expect(await reachable('::1')).toBe(false);
    for (const address of external) expect(await reachable(address), address).toBe(false);
  });
});

describe('the console against a deployed setup API', () => {
  it('signs each call with SigV4 from the credential chain, and no credential reaches the page', async () => {
    // Prepare: the operator's credentials, as the standard chain finds them in the environment.
    vi.stubEnv('AWS_ACCESS_KEY_ID', FAKE.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', FAKE.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', FAKE.sessionToken);
    const upstream = await startStubApi();
    let printed = '';
    const running = await runConsole({
      endpoint: `${upstream.url}/prod`,
      localEndpoint: 'http://127.0.0.1:9',
      region: 'eu-west-1',
      open: false,
      env: {},
      out: (text) => {
        printed += text;
      },
    });
    try {
      // Act
      const call = await raw(`${running.origin}/api/customers/acme?`, {
        headers: { [TOKEN_HEADER]: running.token },
      });
      const files = await Promise.all(
        ['', 'app.js', 'style.css'].map((file) => raw(`${running.url}${file}`)),
      );
      // Assess
      expect(call.status).toBe(200);
      const [arrived] = upstream.received;
      expect(arrived?.url).toBe('/prod/customers/acme');
      expect(arrived?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIAFAKECONSOLE00000\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      expect(arrived?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(arrived?.headers['x-amz-security-token']).toBe(FAKE.sessionToken);
      for (const answer of [call, ...files]) {
        const text = everything(answer);
        for (const secret of Object.values(FAKE)) expect(text).not.toContain(secret);
        expect(text).not.toMatch(/AWS4-HMAC-SHA256|x-amz-security-token/i);
      }
      expect(printed).toMatch(
        /^Keyless console: http:\/\/127\.0\.0\.1:\d+\/[\w-]{43}\/ {2}\(setup API .*, signed for eu-west-1; Ctrl-C stops\)\n$/,
      );
    } finally {
      await running.close();
      await upstream.close();
    }
  });

  it('reads the region from an API Gateway URL, and asks for --region when it cannot', async () => {
    expect(regionOfEndpoint('https://a1b2c3.execute-api.eu-central-1.amazonaws.com')).toBe('eu-central-1');
    expect(regionOfEndpoint('https://api.example.com')).toBeUndefined();
    await expect(
      runConsole({
        endpoint: 'https://api.example.com',
        localEndpoint: 'http://127.0.0.1:9',
        open: false,
        env: {},
        out: () => {},
      }),
    ).rejects.toThrow(/give --region/);
  });

  it("says the setup API did not answer when it is down, in the API's error shape", async () => {
    const forward = createForwarder({ endpoint: 'http://127.0.0.1:9' });
    const answer = await forward({ method: 'GET', path: '/migration', search: '' });
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.body).message).toMatch(/did not answer/);
  });
});
