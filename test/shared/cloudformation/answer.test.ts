import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CloudFormationAnswer,
  createAnswerSender,
  MAX_ANSWER_BYTES,
  serializeAnswer,
} from '../../../shared/cloudformation/answer.ts';
import { createResponseUrlPolicy } from '../../../shared/cloudformation/response-url.ts';
import { startResponseServer } from '../../support/response-server.ts';

let server: Awaited<ReturnType<typeof startResponseServer>>;
beforeAll(async () => {
  server = await startResponseServer();
});
afterAll(() => server.close());

const answer = (overrides: Partial<CloudFormationAnswer> = {}): CloudFormationAnswer => ({
  Status: 'FAILED',
  Reason: 'because',
  PhysicalResourceId: 'keyless-acme-corp-111122223333',
  StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/s/3b0d6a20-0f4e-11ef-9c5e-0a1b2c3d4e5f',
  RequestId: 'r-1',
  LogicalResourceId: 'KeylessRegistration',
  NoEcho: false,
  ...overrides,
});
const noSleep = async () => {};

describe('serializeAnswer', () => {
  it('keeps a small answer as it is', () => {
    expect(JSON.parse(serializeAnswer(answer()))).toEqual(answer());
  });

  it.each([
    ['ASCII', 'x'],
    ['multi-byte characters', '€'],
    ['characters JSON escapes', '"\n'],
  ])('truncates an oversized Reason of %s to fit 4096 bytes', (_what, unit) => {
    const body = serializeAnswer(answer({ Reason: unit.repeat(10_000) }));
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    const parsed = JSON.parse(body) as CloudFormationAnswer;
    expect(parsed.Reason?.endsWith('…')).toBe(true);
    expect(parsed.RequestId).toBe('r-1');
  });
});

describe('createAnswerSender', () => {
  it('PUTs the JSON body with an empty Content-Type', async () => {
    const sender = createAnswerSender({
      policy: createResponseUrlPolicy({ localOrigin: server.origin }),
      sleep: noSleep,
    });
    const result = await sender.send(server.url('put-1'), answer({ RequestId: 'put-1' }));
    expect(result).toEqual({ delivered: true, attempts: 1, status: 200 });
    const [put] = server.requests.filter((r) => r.path.includes('put-1'));
    expect(put?.method).toBe('PUT');
    expect(put?.headers['content-type'] ?? '').toBe('');
    expect(JSON.parse(put?.body ?? '')).toEqual(answer({ RequestId: 'put-1' }));
  });

  it('retries server errors and succeeds', async () => {
    const sender = createAnswerSender({
      policy: createResponseUrlPolicy({ localOrigin: server.origin }),
      sleep: noSleep,
    });
    server.failNext(503, 500);
    const result = await sender.send(server.url('retry-1'), answer());
    expect(result).toEqual({ delivered: true, attempts: 3, status: 200 });
  });

  it('does not retry a refusal such as an expired signature', async () => {
    const sender = createAnswerSender({
      policy: createResponseUrlPolicy({ localOrigin: server.origin }),
      sleep: noSleep,
    });
    server.failNext(403);
    const result = await sender.send(server.url('forbidden-1'), answer());
    expect(result).toMatchObject({ delivered: false, attempts: 1, status: 403 });
  });

  it('never contacts a URL the allow-list refuses', async () => {
    const sender = createAnswerSender({ policy: createResponseUrlPolicy(), sleep: noSleep });
    const result = await sender.send(server.url('refused-1'), answer());
    expect(result).toMatchObject({ delivered: false, attempts: 0 });
    expect(server.requests.filter((r) => r.path.includes('refused-1'))).toEqual([]);
  });
});
