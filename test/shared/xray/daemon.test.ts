/**
 * The daemon transport (shared/xray/daemon.ts): X-Ray's UDP protocol, a JSON header line and the
 * document in one datagram, to the address Lambda sets; and the addresses it refuses.
 */
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createDaemonSink, parseDaemonAddress } from '#shared/xray/daemon.ts';

describe('the X-Ray daemon sink', () => {
  it('sends each document as one datagram: the protocol header line, then the JSON', async () => {
    const daemon = createSocket('udp4');
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const received = new Promise<string>((resolve) =>
      daemon.once('message', (message) => resolve(String(message))),
    );
    const { port } = daemon.address() as AddressInfo;
    createDaemonSink(`127.0.0.1:${port}`)?.send({ type: 'subsegment', name: 'DynamoDB' });
    const [header, body] = (await received).split('\n');
    daemon.close();
    expect(JSON.parse(header ?? '')).toEqual({ format: 'json', version: 1 });
    expect(JSON.parse(body ?? '')).toEqual({ type: 'subsegment', name: 'DynamoDB' });
  });

  it("drops a document over X-Ray's 64 KB rather than fail to send it, and goes on sending", async () => {
    const daemon = createSocket('udp4');
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const received: string[] = [];
    const second = new Promise<void>((resolve) =>
      daemon.on('message', (message) => {
        received.push(String(message));
        resolve();
      }),
    );
    const { port } = daemon.address() as AddressInfo;
    const sink = createDaemonSink(`127.0.0.1:${port}`);
    sink?.send({ name: 'big', padding: 'x'.repeat(70_000) });
    sink?.send({ name: 'small' });
    await second;
    daemon.close();
    expect(received.map((message) => JSON.parse(message.split('\n')[1] ?? '').name)).toEqual(['small']);
  });

  it("reads both of X-Ray's address forms, and the UDP half of the pair", () => {
    expect(parseDaemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(parseDaemonAddress('tcp:127.0.0.1:2001 udp:127.0.0.1:2002')).toEqual({
      host: '127.0.0.1',
      port: 2002,
    });
  });

  it('is none without an address, or with one X-Ray would refuse', () => {
    for (const address of [
      undefined,
      '',
      '127.0.0.1',
      ':2000',
      '127.0.0.1:0',
      '127.0.0.1:70000',
      'tcp:127.0.0.1:2000 x',
    ])
      expect(createDaemonSink(address), String(address)).toBeUndefined();
  });
});
