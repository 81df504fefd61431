import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AnswerSender, CloudFormationAnswer } from '#shared/cloudformation/answer.ts';
import { toDeliveries } from '#shared/cloudformation/request.ts';
import { createResponseUrlPolicy } from '#shared/cloudformation/response-url.ts';
import { createRegistrationHandler } from '#shared/onboarding/registration.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { randomAccountId } from '../../support/builders.ts';
import { createTestTable } from '../../support/dynamodb.ts';
import { createRequest, uniqueCustomer } from '../../support/onboarding.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: ReturnType<typeof createConnectionStore>;
const sent: { url: string; answer: CloudFormationAnswer }[] = [];
const answers: AnswerSender = {
  async send(url, answer) {
    sent.push({ url, answer });
    return { delivered: true, attempts: 1, status: 200 } as Awaited<ReturnType<AnswerSender['send']>>;
  },
};
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  table = await createTestTable();
  store = createConnectionStore({ client: table.documentClient, tableName: table.tableName });
});
afterAll(() => table.drop());

const bucketUrl = (region: string) => (requestId: string) =>
  `https://cloudformation-custom-resource-response-${region.replaceAll('-', '')}.s3.${region}.amazonaws.com/${requestId}?X-Amz-Signature=abc`;

function viaTopic(topicRegion: string, request: unknown) {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        Sns: {
          MessageId: randomUUID(),
          TopicArn: `arn:aws:sns:${topicRegion}:999988887777:keyless-registrations`,
          Message: JSON.stringify(request),
        },
      },
    ],
  };
}

describe('registration: response bucket region', () => {
  const registration = () =>
    createRegistrationHandler({
      store,
      publisher: { publish: async (events) => ({ published: events.length, failed: [] }) },
      answers,
      responseUrlPolicy: createResponseUrlPolicy(),
      logger: quiet,
      metrics: { addMetric: vi.fn() },
    });

  it('never contacts a response bucket outside the region of the topic that delivered the request', async () => {
    // Prepare: a forged Create (no setup) whose ResponseURL names another region's bucket.
    const request = createRequest({
      customerId: uniqueCustomer(),
      accountId: randomAccountId(),
      externalId: 'keyless-forged-00000000000000000000000000000000',
      responseUrl: bucketUrl('eu-west-1'),
    });
    // Act
    const [delivery] = toDeliveries(viaTopic('us-east-1', request));
    const outcome = await registration().handle(delivery!);
    // Assess
    expect(delivery?.topicRegion).toBe('us-east-1');
    expect(outcome).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/region of the topic/) });
    expect(sent.filter((s) => s.url.includes(request.RequestId))).toEqual([]);
  });

  it('answers to the bucket of the topic region', async () => {
    const request = createRequest({
      customerId: uniqueCustomer(),
      accountId: randomAccountId(),
      externalId: 'keyless-forged-00000000000000000000000000000000',
      responseUrl: bucketUrl('eu-west-1'),
    });
    const [delivery] = toDeliveries(viaTopic('eu-west-1', request));
    await registration().handle(delivery!);
    expect(sent.filter((s) => s.url.includes(request.RequestId))).toEqual([
      expect.objectContaining({ answer: expect.objectContaining({ Status: 'FAILED' }) }),
    ]);
  });
});
