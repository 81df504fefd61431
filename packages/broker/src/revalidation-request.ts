/**
 * Asks the role validator to re-validate one connection: an asynchronous Lambda invoke with the input
 * the validator's re-validation mode takes, `{ mode: 'revalidate', customerId, accountId }`. The
 * broker needs lambda:InvokeFunction on that one function, and nothing on the table but reads.
 */
import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { ConnectionRef, RevalidationRequester } from './repeated-denials.ts';

/** The one Lambda call made; a `LambdaClient` is one. */
export interface LambdaInvoker {
  send(command: InvokeCommand): Promise<InvokeCommandOutput>;
}

/** Lambda answers 202 Accepted when it has queued an asynchronous invocation. */
const ACCEPTED = 202;

export function createRevalidationInvoker({
  lambda,
  functionName,
}: {
  lambda: LambdaInvoker;
  /** The role validator's name or ARN. */
  functionName: string;
}): RevalidationRequester {
  return async function requestRevalidation({ customerId, accountId }: ConnectionRef) {
    const { StatusCode } = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify({ mode: 'revalidate', customerId, accountId })),
      }),
    );
    if (StatusCode !== ACCEPTED) {
      throw new Error(`The role validator did not accept the re-validation request (status ${StatusCode}).`);
    }
  };
}
