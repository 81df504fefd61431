/**
 * Wire-protocol helpers for the local endpoint: reading bodies, telling services apart, and
 * answering in the JSON and query/XML shapes the AWS SDKs and CLI parse.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SigningScope {
  accessKeyId: string;
  region: string;
  service: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/** The access key, region and service of a SigV4 `Authorization` header, when the request is signed. */
export function signingScope(authorization: string | undefined): SigningScope | undefined {
  const match = authorization ? CREDENTIAL.exec(authorization) : null;
  if (!match) return undefined;
  return { accessKeyId: match[1] as string, region: match[2] as string, service: match[3] as string };
}

export async function readBody(request: IncomingMessage, limitBytes = 6 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new Error(`Request body larger than ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  response.end(payload);
}

/** An AWS JSON-protocol error (`__type` + `message`), as EventBridge and Secrets Manager answer. */
export function sendJsonError(
  response: ServerResponse,
  status: number,
  type: string,
  message: string,
  contentType = 'application/x-amz-json-1.1',
): void {
  sendJson(response, status, { __type: type, message }, contentType, { 'x-amzn-errortype': type });
}

export function escapeXml(value: string): string {
  const entities: Record<string, string> = {
    '<': '&lt;',
    '>': '&gt;',
    '&': '&amp;',
    "'": '&apos;',
    '"': '&quot;',
  };
  return value.replace(/[<>&'"]/g, (char) => entities[char] ?? char);
}

/**
 * Renders `{ a: 'x', b: { c: 'y' }, l: ['p'] }` as `<a>x</a><b><c>y</c></b><l><member>p</member></l>`
 * (lists as the query protocol writes them); undefined members are left out.
 */
export function toXml(value: Record<string, unknown>): string {
  const render = (member: unknown): string => {
    if (Array.isArray(member)) return member.map((item) => `<member>${render(item)}</member>`).join('');
    if (typeof member === 'object' && member !== null && !(member instanceof Date))
      return toXml(member as Record<string, unknown>);
    return escapeXml(
      member instanceof Date ? member.toISOString().replace(/\.\d{3}Z$/, 'Z') : String(member),
    );
  };
  return Object.entries(value)
    .filter(([, member]) => member !== undefined)
    .map(([name, member]) => `<${name}>${render(member)}</${name}>`)
    .join('');
}

/** A query-protocol success: `<ActionResponse xmlns><ActionResult>…</ActionResult><ResponseMetadata>`. */
export function sendQueryResult(
  response: ServerResponse,
  action: string,
  namespace: string,
  result: Record<string, unknown>,
): void {
  const requestId = randomUUID();
  const xml =
    `<${action}Response xmlns="${namespace}">\n  <${action}Result>${toXml(result)}</${action}Result>\n` +
    `  <ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>\n</${action}Response>\n`;
  response.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  response.end(xml);
}

/** A query-protocol error, in the `<ErrorResponse>` envelope STS and SNS use. */
export function sendQueryError(
  response: ServerResponse,
  status: number,
  namespace: string,
  error: { type: 'Sender' | 'Receiver'; code: string; message: string },
): void {
  const requestId = randomUUID();
  const xml =
    `<ErrorResponse xmlns="${namespace}">\n  <Error>\n    <Type>${error.type}</Type>\n` +
    `    <Code>${escapeXml(error.code)}</Code>\n    <Message>${escapeXml(error.message)}</Message>\n  </Error>\n` +
    `  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
  response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  response.end(xml);
}

/** Query-protocol list members: `Tags.member.1.Key=…` → `[{ Key: … }]`. */
export function queryList(form: URLSearchParams, name: string): Record<string, string>[] {
  const items = new Map<number, Record<string, string>>();
  const prefix = `${name}.member.`;
  for (const [key, value] of form) {
    if (!key.startsWith(prefix)) continue;
    const [index, field] = key.slice(prefix.length).split('.');
    const item = items.get(Number(index)) ?? {};
    item[field ?? 'value'] = value;
    items.set(Number(index), item);
  }
  return [...items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}
