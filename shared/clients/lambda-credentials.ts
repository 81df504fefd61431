/**
 * The credentials of a deployed function's own AWS clients: its execution role's, which Lambda puts
 * in the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`; "Defined
 * runtime environment variables", https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
 * The function bundles put this module in place of `@aws-sdk/credential-provider-node`
 * (infra/constructs/bundle-options.ts): every client's runtime config imports that chain, and with it
 * the SSO, web-identity and profile providers and their nested clients, even when no chain link past
 * the environment can ever run in Lambda (aws/aws-sdk-js-v3#5516, #6087). About 90 KB less per
 * bundle (docs/architecture.md §9, *Bundles*). The local runtime and the tests keep the SDK's own chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** The same export as `@aws-sdk/credential-provider-node`, reading the environment only. */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}): ReturnType<typeof fromEnv> =>
  fromEnv(init);
