/**
 * Sends X-Ray segment documents to the X-Ray daemon that Lambda runs beside every traced function
 * (docs/architecture.md §11): one UDP datagram per document, a JSON header line and then the document,
 * to the address Lambda sets in AWS_XRAY_DAEMON_ADDRESS (`127.0.0.1:2000`, or `udp:… tcp:…`).
 * UDP is fire-and-forget, as it is for X-Ray's own SDKs: a document lost never fails the invocation.
 */
import { createSocket, type Socket } from 'node:dgram';

/** Where finished subsegments go. */
export interface SegmentSink {
  send(document: object): void;
}

const PROTOCOL_HEADER = '{"format":"json","version":1}\n';
/** X-Ray takes segment documents of at most 64 KB; a bigger one would only fail to send. */
const MAX_DOCUMENT_BYTES = 64_000;

/** The UDP host and port of an AWS_XRAY_DAEMON_ADDRESS value, or undefined for one X-Ray would refuse. */
export function parseDaemonAddress(address: string | undefined): { host: string; port: number } | undefined {
  if (!address) return undefined;
  const parts = address.trim().split(/\s+/);
  const udp = parts.length === 1 ? parts[0] : parts.find((part) => part.startsWith('udp:'))?.slice(4);
  const match = udp?.match(/^([^:\s]+):(\d{1,5})$/);
  if (!match?.[1] || !match[2]) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1], port } : undefined;
}

/** A sink to the daemon at `address`, or undefined when there is none (outside Lambda, or tracing off). */
export function createDaemonSink(
  address: string | undefined = process.env.AWS_XRAY_DAEMON_ADDRESS,
): SegmentSink | undefined {
  const daemon = parseDaemonAddress(address);
  if (!daemon) return undefined;
  // Bound at init, not at the first send: an unbound socket queues its first datagram until the
  // bind completes, and the one a handler sends last would then wait for the environment to thaw.
  const socket: Socket = createSocket('udp4');
  socket.on('error', () => {});
  socket.bind(0);
  // Neither the socket nor a pending send may keep a finished process (a test, a local run) alive.
  socket.unref();
  return {
    send(document) {
      const message = Buffer.from(PROTOCOL_HEADER + JSON.stringify(document));
      if (message.length > MAX_DOCUMENT_BYTES) return;
      socket.send(message, daemon.port, daemon.host, () => {});
    },
  };
}
