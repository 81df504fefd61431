/**
 * The simulated customer side's requests to the local endpoint (docs/architecture.md §8): one
 * that got no answer is tried again with backoff, a refusal (nothing listens) and every HTTP
 * answer are not.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchLocal, transientNetworkCode } from '#local/emulator/local-fetch.ts';

const failure = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });
const noWait = { sleep: async () => {}, random: () => 0.5 };

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('fetchLocal', () => {
  it('reads the network code from fetch’s cause', () => {
    expect(transientNetworkCode(failure('UND_ERR_CONNECT_TIMEOUT'))).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(transientNetworkCode(failure('ECONNRESET'))).toBe('ECONNRESET');
    expect(transientNetworkCode(failure('ECONNREFUSED'))).toBeUndefined();
    expect(transientNetworkCode(new Error('boom'))).toBeUndefined();
  });

  it('tries a request that got no answer again, with growing jittered waits', async () => {
    const answer = new Response('ok');
    const fetchStub = vi
      .fn()
      .mockRejectedValueOnce(failure('UND_ERR_CONNECT_TIMEOUT'))
      .mockRejectedValueOnce(failure('ECONNRESET'))
      .mockResolvedValueOnce(answer);
    vi.stubGlobal('fetch', fetchStub);
    const waits: number[] = [];
    const response = await fetchLocal(
      'http://127.0.0.1:1/x',
      { method: 'PUT', body: '{}' },
      {
        sleep: async (ms) => {
          waits.push(ms);
        },
        random: () => 0.5,
      },
    );
    expect(response).toBe(answer);
    expect(fetchStub).toHaveBeenCalledTimes(3);
    expect(fetchStub.mock.calls[2]).toEqual(['http://127.0.0.1:1/x', { method: 'PUT', body: '{}' }]);
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after its attempts, and never retries a refusal', async () => {
    const timeouts = vi.fn().mockRejectedValue(failure('UND_ERR_SOCKET'));
    vi.stubGlobal('fetch', timeouts);
    await expect(fetchLocal('http://127.0.0.1:1/', undefined, { ...noWait, attempts: 3 })).rejects.toThrow(
      'fetch failed',
    );
    expect(timeouts).toHaveBeenCalledTimes(3);
    const refused = vi.fn().mockRejectedValue(failure('ECONNREFUSED'));
    vi.stubGlobal('fetch', refused);
    await expect(fetchLocal('http://127.0.0.1:1/', undefined, noWait)).rejects.toThrow('fetch failed');
    expect(refused).toHaveBeenCalledTimes(1);
  });

  it('returns every HTTP answer as it is, errors included', async () => {
    const server = createServer((_, response) => {
      response.writeHead(503).end('busy');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetchLocal(`http://127.0.0.1:${port}/`, undefined, noWait);
      expect(response.status).toBe(503);
    } finally {
      server.close();
    }
  });
});
