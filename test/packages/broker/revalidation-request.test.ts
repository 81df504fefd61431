import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createRevalidationInvoker } from '@keyless/broker';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';

const lambda = new LambdaClient({ region: 'us-east-1' });
const lambdaMock = mockClient(lambda);

beforeEach(() => lambdaMock.reset());

describe('createRevalidationInvoker', () => {
  it('invokes the validator asynchronously with its re-validation input for one connection', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
    const request = createRevalidationInvoker({ lambda, functionName: 'keyless-prod-role-validator' });
    // Act
    await request({ customerId: 'acme', accountId: '111122223333' });
    // Assess
    const [call] = lambdaMock.commandCalls(InvokeCommand);
    expect(call?.args[0].input).toMatchObject({
      FunctionName: 'keyless-prod-role-validator',
      InvocationType: 'Event',
    });
    const payload = JSON.parse(new TextDecoder().decode(call?.args[0].input.Payload as Uint8Array));
    expect(payload).toEqual({ mode: 'revalidate', customerId: 'acme', accountId: '111122223333' });
  });

  it('sends an input the role validator accepts', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
    await createRevalidationInvoker({ lambda, functionName: 'validator' })({
      customerId: 'acme',
      accountId: '111122223333',
    });
    // The validator reads its configuration at module load.
    const { validatorInputSchema } = await import('#functions/role-validator/factory.ts');
    const [call] = lambdaMock.commandCalls(InvokeCommand);
    const payload = JSON.parse(new TextDecoder().decode(call?.args[0].input.Payload as Uint8Array));
    expect(validatorInputSchema.safeParse(payload).success).toBe(true);
  });

  it('fails when Lambda did not queue the invocation', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200 });
    const request = createRevalidationInvoker({ lambda, functionName: 'keyless-prod-role-validator' });
    await expect(request({ customerId: 'acme', accountId: '111122223333' })).rejects.toThrow(/status 200/);
  });
});
