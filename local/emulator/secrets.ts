/**
 * Local Secrets Manager for the legacy access-key path: CreateSecret, GetSecretValue,
 * PutSecretValue, ListSecrets and DeleteSecret, kept under `.keyless/` between runs. Deletion is
 * scheduled as in AWS (a recovery window of 7–30 days, 30 by default, during which the secret
 * answers InvalidRequestException and ListSecrets leaves it out), unless forced
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html); ListSecrets
 * filters `name`, `tag-key` and `tag-value` by case-sensitive prefix, `!` negating
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

export class SecretsManagerError extends Error {
  constructor(
    readonly type:
      | 'ResourceNotFoundException'
      | 'ResourceExistsException'
      | 'InvalidParameterException'
      | 'InvalidRequestException'
      | 'InvalidNextTokenException',
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
  /** Epoch seconds at which a scheduled deletion takes effect. */
  deletedDate?: number;
}

const DAY_SECONDS = 86_400;
const MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";

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
    if (secrets.get(input.Name)?.deletedDate !== undefined) {
      throw new SecretsManagerError(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
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

  /** A secret that may be read or written: not scheduled for deletion. */
  const live = (secretId: string | undefined): StoredSecret => {
    const secret = find(secretId);
    if (secret.deletedDate !== undefined)
      throw new SecretsManagerError('InvalidRequestException', MARKED_FOR_DELETION);
    return secret;
  };

  function getSecretValue(input: { SecretId?: string }) {
    const secret = live(input.SecretId);
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
    const secret = live(input.SecretId);
    secret.secretString = input.SecretString ?? secret.secretString;
    secret.versionId = input.ClientRequestToken ?? randomUUID();
    persist();
    return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'] };
  }

  function deleteSecret(input: {
    SecretId?: string;
    RecoveryWindowInDays?: number;
    ForceDeleteWithoutRecovery?: boolean;
  }) {
    const { RecoveryWindowInDays: window, ForceDeleteWithoutRecovery: force } = input;
    if (force && window !== undefined) {
      throw new SecretsManagerError(
        'InvalidParameterException',
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    if (window !== undefined && (!Number.isInteger(window) || window < 7 || window > 30)) {
      throw new SecretsManagerError(
        'InvalidParameterException',
        'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
      );
    }
    const secret = find(input.SecretId);
    const now = Date.now() / 1000;
    if (force) {
      secrets.delete(secret.name);
      persist();
      return { ARN: secret.arn, Name: secret.name, DeletionDate: now };
    }
    secret.deletedDate ??= now + (window ?? 30) * DAY_SECONDS;
    persist();
    return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletedDate };
  }

  function listSecrets(input: {
    Filters?: { Key?: string; Values?: string[] }[];
    MaxResults?: number;
    NextToken?: string;
    IncludePlannedDeletion?: boolean;
  }) {
    const maxResults = input.MaxResults ?? 100;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
      throw new SecretsManagerError('InvalidParameterException', 'MaxResults must be between 1 and 100.');
    }
    const values = (secret: StoredSecret, key: string | undefined): string[] => {
      if (key === 'name') return [secret.name];
      if (key === 'tag-key') return Object.keys(secret.tags ?? {});
      if (key === 'tag-value') return Object.values(secret.tags ?? {});
      throw new SecretsManagerError('InvalidParameterException', `Invalid filter key: ${String(key)}.`);
    };
    // Each filter must hold; within one, any of its values (a `!value` must match none).
    const matches = (secret: StoredSecret) =>
      (input.Filters ?? []).every(({ Key, Values = [] }) => {
        const candidates = values(secret, Key);
        const wanted = Values.filter((v) => !v.startsWith('!'));
        const refused = Values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
        return (
          (wanted.length === 0 || wanted.some((prefix) => candidates.some((c) => c.startsWith(prefix)))) &&
          !refused.some((prefix) => candidates.some((c) => c.startsWith(prefix)))
        );
      });
    const listed = [...secrets.values()]
      .filter(
        (secret) => (input.IncludePlannedDeletion || secret.deletedDate === undefined) && matches(secret),
      )
      .sort((a, b) => a.createdDate - b.createdDate);
    const start = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) {
      throw new SecretsManagerError('InvalidNextTokenException', 'The NextToken value is invalid.');
    }
    const page = listed.slice(start, start + maxResults);
    const next = start + maxResults < listed.length ? String(start + maxResults) : undefined;
    return {
      SecretList: page.map((secret) => ({
        ARN: secret.arn,
        Name: secret.name,
        CreatedDate: secret.createdDate,
        Tags: Object.entries(secret.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        ...(secret.deletedDate !== undefined ? { DeletedDate: secret.deletedDate } : {}),
      })),
      ...(next ? { NextToken: Buffer.from(next).toString('base64url') } : {}),
    };
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

  return { createSecret, getSecretValue, putSecretValue, deleteSecret, listSecrets, accessKeyOwner };
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
