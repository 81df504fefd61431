/**
 * Local Secrets Manager for the legacy access-key path: CreateSecret and GetSecretValue (and
 * PutSecretValue/DeleteSecret for completeness), kept under `.keyless/` between runs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

export class SecretsManagerError extends Error {
  constructor(
    readonly type:
      | 'ResourceNotFoundException'
      | 'ResourceExistsException'
      | 'InvalidParameterException'
      | 'InvalidRequestException',
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

interface StoredSecret {
  arn: string;
  name: string;
  versionId: string;
  secretString: string;
  createdDate: number;
  tags?: Record<string, string>;
}

export type LocalSecrets = ReturnType<typeof createLocalSecrets>;

export function createLocalSecrets({
  region,
  accountId,
  persistPath,
}: {
  region: string;
  accountId: string;
  persistPath?: string | undefined;
}) {
  const secrets = new Map<string, StoredSecret>(load(persistPath));
  const persist = () => {
    if (persistPath)
      writeFileSync(persistPath, JSON.stringify([...secrets.values()], null, 2), { mode: 0o600 });
  };
  const find = (secretId: string | undefined): StoredSecret => {
    const secret = secretId
      ? (secrets.get(secretId) ?? [...secrets.values()].find((s) => s.arn === secretId))
      : undefined;
    if (!secret)
      throw new SecretsManagerError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    return secret;
  };

  function createSecret(input: {
    Name?: string;
    SecretString?: string;
    ClientRequestToken?: string;
    Tags?: { Key?: string; Value?: string }[];
  }) {
    if (!input.Name)
      throw new SecretsManagerError(
        'InvalidParameterException',
        'You must provide a value for the Name parameter.',
      );
    if (input.SecretString === undefined) {
      throw new SecretsManagerError(
        'InvalidParameterException',
        'You must provide either SecretString or SecretBinary.',
      );
    }
    if (secrets.has(input.Name)) {
      throw new SecretsManagerError(
        'ResourceExistsException',
        `The operation failed because the secret ${input.Name} already exists.`,
      );
    }
    // Secrets Manager appends a hyphen and six random characters to the ARN.
    const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${input.Name}-${suffix}`,
      name: input.Name,
      versionId: input.ClientRequestToken ?? randomUUID(),
      secretString: input.SecretString,
      createdDate: Date.now() / 1000,
      tags: Object.fromEntries((input.Tags ?? []).map(({ Key = '', Value = '' }) => [Key, Value])),
    };
    secrets.set(secret.name, secret);
    persist();
    return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId };
  }

  function getSecretValue(input: { SecretId?: string }) {
    const secret = find(input.SecretId);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      SecretString: secret.secretString,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDate,
    };
  }

  function putSecretValue(input: { SecretId?: string; SecretString?: string; ClientRequestToken?: string }) {
    const secret = find(input.SecretId);
    secret.secretString = input.SecretString ?? secret.secretString;
    secret.versionId = input.ClientRequestToken ?? randomUUID();
    persist();
    return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'] };
  }

  function deleteSecret(input: { SecretId?: string }) {
    const secret = find(input.SecretId);
    secrets.delete(secret.name);
    persist();
    return { ARN: secret.arn, Name: secret.name, DeletionDate: Date.now() / 1000 };
  }

  /**
   * The customer account an access key belongs to, when a stored secret holds it (the legacy path
   * tags its secrets with `keyless:accountId`): lets the local STS answer for legacy keys as the
   * customer's IAM user, as AWS would.
   */
  function accessKeyOwner(accessKeyId: string): { accountId: string } | undefined {
    for (const secret of secrets.values()) {
      const accountId = secret.tags?.['keyless:accountId'];
      if (!accountId) continue;
      try {
        if ((JSON.parse(secret.secretString) as { accessKeyId?: unknown }).accessKeyId === accessKeyId) {
          return { accountId };
        }
      } catch {
        // not a JSON secret
      }
    }
    return undefined;
  }

  return { createSecret, getSecretValue, putSecretValue, deleteSecret, accessKeyOwner };
}

function load(persistPath: string | undefined): [string, StoredSecret][] {
  if (!persistPath) return [];
  try {
    return (JSON.parse(readFileSync(persistPath, 'utf8')) as StoredSecret[]).map((secret) => [
      secret.name,
      secret,
    ]);
  } catch {
    return [];
  }
}
