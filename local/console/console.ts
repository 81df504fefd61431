/**
 * `keyless console`: starts the operator console (server.ts) in front of the local system or a
 * deployed setup API, prints its URL in one line and opens it in the browser (docs/architecture.md
 * §10.1). A deployed API is signed for with the operator's own credentials from the standard chain
 * (`--profile`, environment, SSO); the local system needs none.
 */
import { spawn } from 'node:child_process';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { createForwarder, regionOfEndpoint } from './proxy.ts';
import { type RunningConsole, startConsoleServer } from './server.ts';

export interface ConsoleOptions {
  /** A deployed setup API (its ApiUrl): calls to it are signed. Absent: the local system, unsigned. */
  endpoint?: string;
  localEndpoint: string;
  profile?: string;
  region?: string;
  port?: number;
  open: boolean;
  env: Record<string, string | undefined>;
  out: (text: string) => void;
}

/** The operator's browser, as the desktop opens a link; the printed URL is the fallback. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

export async function runConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const endpoint = options.endpoint ?? options.localEndpoint;
  let signing: Parameters<typeof createForwarder>[0]['signing'];
  if (options.endpoint) {
    const region =
      options.region ??
      regionOfEndpoint(endpoint) ??
      options.env.AWS_REGION ??
      options.env.AWS_DEFAULT_REGION;
    if (!region) throw new Error(`Cannot tell the region of ${endpoint}: give --region.`);
    // Resolved on the first call and refreshed by the chain itself; it never leaves this process.
    signing = {
      region,
      credentials: fromNodeProviderChain(options.profile ? { profile: options.profile } : {}),
    };
  }
  const running = await startConsoleServer({
    forward: createForwarder({ endpoint, ...(signing ? { signing } : {}) }),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  const how = signing ? `signed for ${signing.region}` : 'the local system, unsigned';
  options.out(`Keyless console: ${running.url}  (setup API ${endpoint}, ${how}; Ctrl-C stops)\n`);
  if (options.open) openInBrowser(running.url);
  return running;
}
