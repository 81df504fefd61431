/**
 * One X-Ray subsegment and the document it becomes (docs/architecture.md §11), as X-Ray's segment
 * document schema defines it (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html):
 * sent on close as an independent subsegment (`type: "subsegment"` with `trace_id` and `parent_id`),
 * ids of 16 hex digits, times in epoch seconds. Nothing here throws into the traced code.
 */
import { randomBytes } from 'node:crypto';
import type { SegmentSink } from './daemon.ts';
import type { TracePosition } from './trace-header.ts';

/** An open subsegment: annotate it, mark it failed, close it (closing twice sends it once). */
export interface Subsegment {
  readonly id: string;
  /** An indexed, searchable field. X-Ray takes keys of letters, digits and `_`; others are dropped. */
  addAnnotation(key: string, value: string | number | boolean): void;
  /** A call to a service outside AWS's SDK: X-Ray's `remote` namespace and the request made. */
  recordRequest(method: string, url: string): void;
  /** The HTTP status answered: `error` for a 4xx, `fault` for a 5xx, as X-Ray reads them. */
  recordResponse(status: number, contentLength?: number): void;
  /** Records `error` as the subsegment's exception and flags it a fault unless already an error. */
  addError(error: unknown, options?: { remote?: boolean }): void;
  close(): void;
}

export interface SubsegmentDocument {
  type: 'subsegment';
  id: string;
  trace_id: string;
  parent_id: string;
  name: string;
  start_time: number;
  end_time?: number;
  namespace?: 'aws' | 'remote';
  annotations?: Record<string, string | number | boolean>;
  aws?: Record<string, string | number>;
  http?: {
    request?: { method: string; url: string };
    response?: { status?: number; content_length?: number };
  };
  error?: boolean;
  throttle?: boolean;
  fault?: boolean;
  cause?: { exceptions: { id: string; message: string; type: string; remote?: boolean }[] };
}

/** A subsegment being written: its document, and the position of whatever runs inside it. */
export interface OpenSubsegment extends Subsegment {
  readonly document: SubsegmentDocument;
  readonly position: TracePosition;
}

const ANNOTATION_KEY = /^[A-Za-z0-9_]{1,500}$/;
/** Exception messages are cut here: a document must stay within X-Ray's 64 KB. */
const MAX_MESSAGE = 2048;

export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'unprintable';
  }
}

/** X-Ray segment names: up to 200 of letters, digits, spaces and `_.:/%&#=+\-@`. */
function segmentName(name: string): string {
  return name.replace(/[^\p{L}\p{N}\s_.:/%&#=+\\\-@]/gu, '').slice(0, 200) || 'unnamed';
}

export function newSegmentId(): string {
  return randomBytes(8).toString('hex');
}

/** Opens subsegment `name` beneath `parent`; `sink` gets its document when it closes. */
export function openSubsegment(
  name: string,
  parent: TracePosition,
  sink: SegmentSink,
  now: () => number,
): OpenSubsegment {
  const document: SubsegmentDocument = {
    type: 'subsegment',
    id: newSegmentId(),
    trace_id: parent.traceId,
    parent_id: parent.parentId,
    name: segmentName(name),
    start_time: now() / 1000,
  };
  let closed = false;
  return {
    id: document.id,
    document,
    position: { ...parent, parentId: document.id },
    addAnnotation(key, value) {
      if (!ANNOTATION_KEY.test(key) || (typeof value === 'number' && !Number.isFinite(value))) return;
      document.annotations = {
        ...document.annotations,
        [key]: typeof value === 'string' ? value.slice(0, 1000) : value,
      };
    },
    recordRequest(method, url) {
      document.namespace = 'remote';
      document.http = { ...document.http, request: { method, url } };
    },
    recordResponse(status, contentLength) {
      if (!Number.isInteger(status)) return;
      document.http = {
        ...document.http,
        response: { status, ...(contentLength !== undefined ? { content_length: contentLength } : {}) },
      };
      if (status >= 400 && status < 500) document.error = true;
      if (status >= 500) document.fault = true;
    },
    addError(error, { remote = false } = {}) {
      const type = error instanceof Error ? safeString(error.name) : 'Error';
      const message = safeString(error instanceof Error ? error.message : error).slice(0, MAX_MESSAGE);
      document.cause = { exceptions: [{ id: newSegmentId(), message, type, ...(remote ? { remote } : {}) }] };
      if (!document.error && !document.throttle) document.fault = true;
    },
    close() {
      if (closed) return;
      closed = true;
      document.end_time = now() / 1000;
      try {
        sink.send(document);
      } catch {
        // A trace is never worth an invocation: a document that cannot be sent is dropped.
      }
    },
  };
}
