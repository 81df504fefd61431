import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Created once per execution environment; endpoint from AWS_ENDPOINT_URL(_SECRETS_MANAGER) when set. */
export const secretsManagerClient = new SecretsManagerClient({});
