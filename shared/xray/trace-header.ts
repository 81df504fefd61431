/**
 * X-Ray's trace header, `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`
 * (docs/architecture.md §11): Lambda hands each invocation one, naming the trace, the segment Lambda
 * opened for the invocation and whether the trace is sampled; every AWS call carries one on, naming
 * the subsegment that made it, so the service's own segment joins the same trace.
 */

/** Where a traced call sits: its trace, the segment or subsegment it is part of, and the sampling verdict. */
export interface TracePosition {
  traceId: string;
  parentId: string;
  sampled: boolean;
  /** Lambda's recursion counter (`Lineage=…`), carried on unchanged so loop detection keeps working. */
  lineage?: string;
}

const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const SEGMENT_ID = /^[0-9a-f]{16}$/;

/** The position a header names, or undefined for a header without a well-formed Root and Parent. */
export function parseTraceHeader(header: string | undefined): TracePosition | undefined {
  if (!header) return undefined;
  const fields = new Map<string, string>();
  for (const field of header.split(';')) {
    const at = field.indexOf('=');
    if (at > 0) fields.set(field.slice(0, at).trim(), field.slice(at + 1).trim());
  }
  const traceId = fields.get('Root');
  const parentId = fields.get('Parent');
  if (!traceId || !TRACE_ID.test(traceId) || !parentId || !SEGMENT_ID.test(parentId)) return undefined;
  const lineage = fields.get('Lineage');
  return { traceId, parentId, sampled: fields.get('Sampled') === '1', ...(lineage ? { lineage } : {}) };
}

/** The header an AWS call made from `position` carries. */
export function formatTraceHeader(position: TracePosition): string {
  const header = `Root=${position.traceId};Parent=${position.parentId};Sampled=${position.sampled ? 1 : 0}`;
  return position.lineage ? `${header};Lineage=${position.lineage}` : header;
}
