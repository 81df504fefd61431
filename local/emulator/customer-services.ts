/**
 * The services of the simulated customer accounts, as far as the permission check's probes call
 * them (docs/architecture.md §9.4): DynamoDB DescribeTable in the session of a customer role. Each
 * call is authorized by the local IAM like a real call — identity policies, permissions boundary,
 * SCPs, RCPs and the table's own resource-based policy — and refused with AWS's
 * AccessDeniedException naming the layer. An account holds the tables put into it (`putTable`); a
 * call on any other is answered ResourceNotFoundException, which AWS answers only after authorizing
 * the caller.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { LocalIam } from './iam.ts';
import { type PolicyDocument, type StsCaller, StsError } from './sts.ts';

/** An answer in the JSON protocols' shape: a body, or an error's `__type` and message. */
export type ServiceAnswer =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; status: number; type: string; message: string };

type Operation = (
  caller: StsCaller,
  input: Record<string, unknown>,
  region: string,
) => Promise<ServiceAnswer>;

const text = (value: unknown) => (typeof value === 'string' ? value : '');

export type LocalCustomerServices = ReturnType<typeof createCustomerServices>;

/** A table of a simulated account: its ARN, when it was made, and its resource-based policy. */
interface LocalTable {
  arn: string;
  createdAt: Date;
  resourcePolicy?: PolicyDocument | undefined;
}

/** The tables kept at `persistPath` by an earlier run, or none. */
function loadTables(persistPath: string | undefined): Map<string, LocalTable> {
  if (!persistPath) return new Map();
  try {
    const stored = JSON.parse(readFileSync(persistPath, 'utf8')) as (Omit<LocalTable, 'createdAt'> & {
      createdAt: string;
    })[];
    return new Map(stored.map((table) => [table.arn, { ...table, createdAt: new Date(table.createdAt) }]));
  } catch {
    return new Map();
  }
}

export function createCustomerServices({
  iam,
  persistPath,
}: {
  iam: LocalIam;
  /** Where the accounts' tables are kept between runs, as the roles and SCPs are; in memory when absent. */
  persistPath?: string | undefined;
}) {
  let calls = 0;
  const tables = loadTables(persistPath);
  const persist = () => {
    if (persistPath) writeFileSync(persistPath, JSON.stringify([...tables.values()], null, 2));
  };

  /** Authorizes the call; AccessDenied becomes the service's AccessDeniedException. */
  async function authorized(
    caller: StsCaller,
    action: string,
    resource: string,
    resourcePolicy?: PolicyDocument,
  ): Promise<ServiceAnswer | undefined> {
    try {
      await iam.authorize(caller, action, resource, { resourcePolicy });
      return undefined;
    } catch (error) {
      if (error instanceof StsError && error.code === 'AccessDenied')
        return { ok: false, status: 400, type: 'AccessDeniedException', message: error.message };
      throw error;
    }
  }

  const operations: Record<string, Operation> = {
    /** DescribeTable takes a table name or its ARN. */
    'DynamoDB_20120810.DescribeTable': async (caller, input, region) => {
      const table = text(input.TableName);
      if (!/^(arn:[^:]+:dynamodb:[^:]*:\d{12}:table\/)?[A-Za-z0-9_.-]{3,255}$/.test(table))
        return {
          ok: false,
          status: 400,
          type: 'ValidationException',
          message: `1 validation error detected: Value '${table.slice(0, 300)}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
        };
      const arn = table.startsWith('arn:')
        ? table
        : `arn:aws:dynamodb:${region}:${caller.accountId}:table/${table}`;
      const held = tables.get(arn);
      const denied = await authorized(caller, 'dynamodb:DescribeTable', arn, held?.resourcePolicy);
      if (denied) return denied;
      if (!held)
        return {
          ok: false,
          status: 400,
          type: 'ResourceNotFoundException',
          message: `Requested resource not found: Table: ${arn.split('/').pop()} not found`,
        };
      const name = arn.slice(arn.indexOf(':table/') + ':table/'.length);
      return {
        ok: true,
        body: {
          Table: {
            TableName: name,
            TableArn: arn,
            TableStatus: 'ACTIVE',
            CreationDateTime: held.createdAt.getTime() / 1000,
            KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }],
            BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
            ItemCount: 0,
            TableSizeBytes: 0,
          },
        },
      };
    },
  };

  return {
    /** Answers one JSON-protocol call (`X-Amz-Target`) of a customer account's session. */
    async call(caller: StsCaller, target: string, input: Record<string, unknown>, region: string) {
      const operation = operations[target];
      if (!operation)
        return {
          ok: false,
          status: 400,
          type: 'UnknownOperationException',
          message: `${target} is not served locally for customer accounts; only the permission probes' calls (${Object.keys(operations).join(', ')}).`,
        } satisfies ServiceAnswer;
      calls += 1;
      return operation(caller, input, region);
    },
    /** How many probe calls were answered (a check makes one per probe). */
    calls: () => calls,
    /**
     * Puts table `name` into `accountId`'s `region`, with `resourcePolicy` as its resource-based
     * policy (none when undefined); putting it again replaces its policy.
     */
    putTable({
      accountId,
      region,
      name,
      resourcePolicy,
    }: {
      accountId: string;
      region: string;
      name: string;
      resourcePolicy?: PolicyDocument | undefined;
    }): string {
      const arn = `arn:aws:dynamodb:${region}:${accountId}:table/${name}`;
      tables.set(arn, { arn, createdAt: tables.get(arn)?.createdAt ?? new Date(), resourcePolicy });
      persist();
      return arn;
    },
    deleteTable(arn: string): boolean {
      const existed = tables.delete(arn);
      persist();
      return existed;
    },
  };
}
