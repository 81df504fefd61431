/** A sampled invocation's X-Ray tracer that keeps every subsegment document it sends (shared/xray/). */
import { createXRayTracer } from '#shared/xray/tracer.ts';

/** A trace header as Lambda hands a sampled invocation; `Parent` is Lambda's segment. */
export const SAMPLED_HEADER = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

/** `header`, when given, is the invocation's, an undefined one included (no trace at all). */
export function recordingTracer(serviceName: string, options: { header?: string | undefined } = {}) {
  const header = 'header' in options ? options.header : SAMPLED_HEADER;
  const documents: Record<string, unknown>[] = [];
  const tracer = createXRayTracer({
    serviceName,
    sink: { send: (document) => documents.push(JSON.parse(JSON.stringify(document))) },
    invocationHeader: () => header,
  });
  return { tracer, documents };
}
