import { describe, expect, it } from 'vitest';
import { createLocalFunctions, FunctionNotFoundError } from '#local/emulator/functions.ts';
import { FIXTURE_HANDLERS } from './fixtures/handlers.ts';

const functions = createLocalFunctions({
  handlers: FIXTURE_HANDLERS,
  region: 'us-east-1',
  accountId: '999988887777',
  namePrefix: 'keyless-local-',
  timeoutMs: (name) => (name === 'slow' ? 50 : 5000),
});

describe('createLocalFunctions', () => {
  it('finds a function by folder name, deployed name or ARN', () => {
    expect(functions.resolveName('slow')).toBe('slow');
    expect(functions.resolveName('keyless-local-slow')).toBe('slow');
    expect(functions.resolveName('arn:aws:lambda:us-east-1:999988887777:function:keyless-local-slow')).toBe(
      'slow',
    );
    expect(() => functions.resolveName('keyless-local-missing')).toThrow(FunctionNotFoundError);
  });

  it('ends an invocation past the function timeout with Lambda’s message', async () => {
    const result = await functions.invoke('slow', { waitMs: 500 });
    expect(result).toMatchObject({
      ok: false,
      error: { errorMessage: 'Task timed out after 0.05 seconds (slow)' },
    });
  });

  it('hands the handler its own copy of the event', async () => {
    const event = { mutate: true, waitMs: 0 };
    const result = await functions.invoke('slow', event);
    expect(result).toEqual({ ok: true, payload: { waited: 0 } });
    expect(event.mutate).toBe(true);
  });
});
