import { LambdaClient } from '@aws-sdk/client-lambda';

/** Created once per execution environment; endpoint from AWS_ENDPOINT_URL(_LAMBDA) when set. */
export const lambdaClient = new LambdaClient({});
