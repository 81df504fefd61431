/**
 * The operator console's web server (docs/architecture.md §10.1): on 127.0.0.1 only, it serves the
 * page under `/<token>/` (its script and style bundled by esbuild in memory at start) and forwards `/api/<setup API path>` calls that carry the
 * token in a header. Every request must name the console's own host (no DNS rebinding), come from
 * its own origin if it names one (no other local page), and carry the per-run token, compared in
 * constant time; anything else is a 403 before any work is done.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { secureEquals } from '#shared/onboarding/secure-compare.ts';
import type { Forwarder } from './proxy.ts';

/** The header that carries the token on the page's API calls. */
export const TOKEN_HEADER = 'x-keyless-console-token';
const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 64 * 1024;

/** The page's files, by the name the page asks for: no path from a request ever reaches the disk. */
const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  'style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/**
 * The page's files as served: index.html as it is; app.js and style.css bundled by esbuild, in
 * memory, with the modules they import (the chart library, uPlot, and its stylesheet). One script
 * and one stylesheet, so the policy below stays `'self'` only: nothing inline, nothing evaluated.
 * Built once per process, on the first console's start.
 */
let bundled: Promise<Record<string, Buffer>> | undefined;
export function pageFiles(): Promise<Record<string, Buffer>> {
  bundled ??= (async () => {
    const result = await build({
      entryPoints: [`${PAGE_DIR}app.js`, `${PAGE_DIR}style.css`],
      bundle: true,
      write: false,
      outdir: `${PAGE_DIR}bundle`,
      format: 'esm',
      target: ['chrome120', 'firefox120', 'safari17'],
      minify: true,
      legalComments: 'eof',
      charset: 'utf8',
      logLevel: 'silent',
      // uPlot's MIT notice, which minifying would drop.
      banner: {
        js: '/*! Includes uPlot (https://github.com/leeoniya/uPlot), (c) Leon Sorokin, MIT licence. */',
      },
    });
    const files: Record<string, Buffer> = { 'index.html': await readFile(`${PAGE_DIR}index.html`) };
    for (const output of result.outputFiles) files[basename(output.path)] = Buffer.from(output.contents);
    return files;
  })();
  bundled.catch(() => {
    bundled = undefined;
  });
  return bundled;
}

/** On every answer: the page runs only its own script and style, is never framed, leaks no referrer. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

export interface ConsoleServerOptions {
  forward: Forwarder;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The per-run token; a fresh 256-bit one unless a test gives its own. */
  token?: string;
}

export interface RunningConsole {
  /** The page, token included: the one thing to open. */
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: string | Buffer, type: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type });
  response.end(body);
}

const refuse = (response: ServerResponse, status: number, message: string) =>
  send(response, status, JSON.stringify({ message }), 'application/json');

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('too large');
    chunks.push(chunk);
  }
  return size === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export async function startConsoleServer({
  forward,
  port = 0,
  token = randomBytes(32).toString('base64url'),
}: ConsoleServerOptions): Promise<RunningConsole> {
  // Built before listening, so a page that does not build fails the start, not the first request.
  const files = await pageFiles();
  let origin = '';

  /** Why a request is refused, or undefined: checked before anything is read or forwarded. */
  function refusal(request: IncomingMessage): string | undefined {
    // A rebound DNS name reaches this port with its own Host: only our own is answered.
    if (request.headers.host !== new URL(origin).host) return 'This console answers only at its own address.';
    const from = single(request.headers.origin);
    if (from !== undefined && from !== origin) return 'Requests from other pages are refused.';
    // Another port of 127.0.0.1 is `same-site`: only our own pages, or the operator opening the link.
    const site = single(request.headers['sec-fetch-site']);
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      return 'Requests from other pages are refused.';
    return undefined;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const refused = refusal(request);
    if (refused) return refuse(response, 403, refused);
    const url = new URL(request.url ?? '/', origin);
    const method = request.method ?? 'GET';

    if (url.pathname.startsWith('/api/')) {
      const given = single(request.headers[TOKEN_HEADER]);
      if (given === undefined || !secureEquals(given, token))
        return refuse(
          response,
          403,
          'The console token is missing or wrong: open the URL the console printed.',
        );
      let body: string | undefined;
      try {
        body = await readBody(request);
      } catch {
        return refuse(response, 413, 'The request body is too large.');
      }
      const answer = await forward({
        method,
        path: url.pathname.slice('/api'.length),
        search: url.search,
        ...(body !== undefined ? { body } : {}),
        ...(request.headers['content-type'] ? { contentType: request.headers['content-type'] } : {}),
        ...(single(request.headers['idempotency-key'])
          ? { idempotencyKey: single(request.headers['idempotency-key']) }
          : {}),
      });
      return send(response, answer.status, answer.body, answer.contentType);
    }

    // The page and its files live under /<token>/, so the token is in every request they make.
    const [, first = '', ...rest] = url.pathname.split('/');
    if (!secureEquals(first, token))
      return refuse(
        response,
        403,
        'The console token is missing or wrong: open the URL the console printed.',
      );
    if (rest.length === 0) {
      // `/<token>` without its slash: the page's relative links need it.
      response.writeHead(308, { ...SECURITY_HEADERS, location: `/${token}/` });
      return void response.end();
    }
    const page = PAGE_FILES[rest.join('/')];
    if (!page) return refuse(response, 404, 'No such page.');
    if (method !== 'GET' && method !== 'HEAD') return refuse(response, 405, 'Only GET.');
    return send(response, 200, files[page.file] ?? '', page.type);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) refuse(response, 500, 'The console failed to answer.');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only: nothing beyond this machine can reach the console.
    server.listen(port, HOST, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  origin = `http://${HOST}:${bound}`;
  return {
    url: `${origin}/${token}/`,
    origin,
    port: bound,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
