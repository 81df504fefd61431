/** X-Ray's trace header (shared/xray/trace-header.ts): what a position is read from, and written as. */
import { describe, expect, it } from 'vitest';
import { formatTraceHeader, parseTraceHeader } from '#shared/xray/trace-header.ts';

const ROOT = '1-5759e988-bd862e3fe1be46a994272793';

describe('the trace header', () => {
  it("reads Lambda's header, lineage included, and writes it back unchanged", () => {
    const header = `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:0`;
    const position = parseTraceHeader(header);
    expect(position).toEqual({
      traceId: ROOT,
      parentId: '53995c3f42cd8ad8',
      sampled: true,
      lineage: 'a87bd80c:0',
    });
    expect(formatTraceHeader(position!)).toBe(header);
  });

  it('takes anything but Sampled=1 as unsampled, as X-Ray does for a pending decision', () => {
    expect(parseTraceHeader(`Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=0`)?.sampled).toBe(false);
    expect(parseTraceHeader(`Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=?`)?.sampled).toBe(false);
    expect(parseTraceHeader(`Root=${ROOT};Parent=53995c3f42cd8ad8`)?.sampled).toBe(false);
  });

  it('is no position without a well-formed Root and Parent', () => {
    for (const header of [
      undefined,
      '',
      ROOT,
      `Root=${ROOT};Sampled=1`,
      'Root=1-xyz;Parent=53995c3f42cd8ad8;Sampled=1',
      `Root=${ROOT};Parent=53995c3f42cd8ad;Sampled=1`,
    ])
      expect(parseTraceHeader(header), String(header)).toBeUndefined();
  });
});
