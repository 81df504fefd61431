import { STSClient } from '@aws-sdk/client-sts';

/** Created once per execution environment; endpoint from AWS_ENDPOINT_URL(_STS) when set. */
export const stsClient = new STSClient({});
