/**
 * One broker process of the revocation-visibility measurement: vends one connection every few
 * milliseconds from the real Keyless table (the package's DynamoDB readers), and reports the
 * wall-clock time of its first refused vend. STS is answered in process: only revocation is measured.
 */
import type { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { serveChild } from '../harness/child.ts';

export interface VisibilityInput {
  mode: 'strict' | 'feed' | 'bounded';
  boundSeconds: number;
  dynamoEndpoint: string;
  tableName: string;
  customerId: string;
  accountId: string;
  /** Stop vending at this epoch ms if nothing was refused by then. */
  giveUpAt: number;
}

export interface VisibilityOutput {
  /** Epoch ms of the first refused vend, or null if none came before `giveUpAt`. */
  refusedAt: number | null;
  vends: number;
}

async function run(input: VisibilityInput): Promise<VisibilityOutput> {
  const {
    createCredentialBroker,
    createConsoleLogger,
    createDynamoDBRevocationFeed,
    createDynamoDBStatusReader,
  } = await import('@keyless/broker');
  const { localDynamoDbClient } = await import('#local/emulator/dynamodb-local.ts');
  const table = {
    client: localDynamoDbClient(input.dynamoEndpoint, 'us-east-1'),
    tableName: input.tableName,
  };
  const revocation =
    input.mode === 'feed'
      ? ({
          mode: 'feed',
          feed: createDynamoDBRevocationFeed(table),
          intervalSeconds: input.boundSeconds,
        } as const)
      : input.mode === 'bounded'
        ? ({ mode: 'bounded', stalenessSeconds: input.boundSeconds } as const)
        : ({ mode: 'strict' } as const);
  const broker = createCredentialBroker({
    store: createDynamoDBStatusReader(table),
    sts: {
      send: async (_command: AssumeRoleCommand) => ({
        $metadata: {},
        Credentials: {
          AccessKeyId: 'ASIAVISIBILITY00001',
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date(Date.now() + 3_600_000),
        },
      }),
    },
    legacyKeys: { read: () => Promise.reject(new Error('no legacy connections here')) },
    serviceName: 'bench',
    sourceIdentity: 'bench-worker',
    logger: createConsoleLogger('bench', 'SILENT'),
    revocation,
  });
  const provider = broker.credentialsFor({ customerId: input.customerId, accountId: input.accountId });
  let vends = 0;
  while (Date.now() < input.giveUpAt) {
    try {
      await provider();
      vends++;
    } catch {
      return { refusedAt: Date.now(), vends };
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { refusedAt: null, vends };
}

serveChild(run);
