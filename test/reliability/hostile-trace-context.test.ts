/**
 * Hostile observability context (docs/architecture.md §11; invariant 8, §6): the trace header an
 * invocation carries and the event a correlation id is read from both arrive before any validation.
 * Whatever they hold, the handler's own answer or error comes through unchanged, nothing throws in
 * the tracer or the logger, a header that names a sampled trace gets its subsegments and any other
 * none, and every document sent is well-formed X-Ray: ids of 16 hex digits and the header's own
 * trace id.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correlationIdFrom, createLogger } from '#shared/observability.ts';
import { parseTraceHeader } from '#shared/xray/trace-header.ts';
import { recordingTracer } from '../support/xray.ts';
import { FUZZ_RUNS, FUZZ_SEED } from './support/settings.ts';

const RUNS = Math.max(200, Math.ceil(FUZZ_RUNS * 0.02));
const ROOT = '1-5759e988-bd862e3fe1be46a994272793';

/** Headers near the real shape as well as noise: fields dropped, doubled, reordered, mangled. */
const headerArbitrary = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .array(
      fc.oneof(
        fc.constant(`Root=${ROOT}`),
        fc.constant('Parent=53995c3f42cd8ad8'),
        fc.constantFrom('Sampled=1', 'Sampled=0', 'Sampled=?', 'Sampled='),
        fc.constant('Lineage=a87bd80c:0'),
        fc.string({ maxLength: 40 }).map((value) => `Root=${value}`),
        fc.string({ maxLength: 40 }).map((value) => `Parent=${value}`),
        fc.string({ maxLength: 40 }),
      ),
      { maxLength: 6 },
    )
    .map((fields) => fields.join(';')),
  fc.constant(undefined),
);

describe('a hostile trace header', () => {
  it('never fails an invocation, and yields only well-formed documents of its own trace', async () => {
    await fc.assert(
      fc.asyncProperty(headerArbitrary, fc.boolean(), fc.jsonValue(), async (header, fails, answer) => {
        const { tracer, documents } = recordingTracer('hostile', { header });
        const failure = new Error('the handler failed');
        const handler = tracer.traceHandler(async () =>
          tracer.captureAsyncFunc('### Step', async (subsegment) => {
            subsegment?.addAnnotation('answer', JSON.stringify(answer) ?? 'none');
            if (fails) throw failure;
            return answer;
          }),
        );
        if (fails) await expect(handler()).rejects.toBe(failure);
        else expect(await handler()).toBe(answer);
        // A header that names a sampled trace gets the handler's and the step's subsegments; any
        // other gets none.
        expect(documents).toHaveLength(parseTraceHeader(header)?.sampled ? 2 : 0);
        for (const document of documents) {
          expect(document.id).toMatch(/^[0-9a-f]{16}$/);
          expect(document.parent_id).toMatch(/^[0-9a-f]{16}$/);
          expect(document.trace_id).toBe(ROOT);
        }
      }),
      { numRuns: RUNS, ...(FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {}) },
    );
  });
});

describe('a hostile event read for its correlation id', () => {
  it('sets a string id or none, and never throws', async () => {
    const logger = createLogger('hostile');
    const middleware = correlationIdFrom(logger, ['Records', 0, 'Sns', 'MessageId'], ['RequestId'], ['id']);
    await fc.assert(
      fc.asyncProperty(fc.anything({ withNullPrototype: true, withBoxedValues: true }), async (event) => {
        logger.resetKeys();
        await middleware.before?.({
          event,
          context: {},
          response: undefined,
          error: undefined,
          internal: {},
        } as never);
        const id = logger.getCorrelationId();
        expect(id === undefined || (typeof id === 'string' && id.length > 0)).toBe(true);
      }),
      { numRuns: RUNS, ...(FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {}) },
    );
  });
});
