/**
 * `POST /setups` with an `Idempotency-Key` header: a retried call (a timeout, a client retry)
 * gets the offer the first call issued instead of a second External ID. Built on Powertools
 * idempotency with its DynamoDB persistence layer in the Keyless table itself: the records live
 * under one partition of their own, expire through the table's TTL attribute, and keep their
 * status out of the status index (`idempotencyStatus`, not `status`).
 *
 * The key is scoped to the customer, and the request body is part of the record: the same key
 * with another body is refused (422), a call still in progress answers 409 with Retry-After.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { HttpError } from '../http/router.ts';
import { SETUP_IDEMPOTENCY_PARTITION, TABLE_KEYS, TTL_ATTRIBUTE } from '../store/table-definition.ts';
import type { CreateSetupRequest, SetupOffer } from './setups.ts';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** How long a key is remembered: a day covers any client's retries. */
export const SETUP_IDEMPOTENCY_SECONDS = 86_400;

/** 1–128 visible ASCII characters (a UUID, a ULID, a hash…). */
export const idempotencyKeySchema = z
  .string()
  .check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(128, 'must be at most 128 characters'),
    z.regex(/^[\x21-\x7e]+$/, 'must be visible ASCII characters without spaces'),
  );

export interface SetupIdempotencyOptions {
  tableName: string;
  /** Defaults to a client Powertools creates (it honours `AWS_ENDPOINT_URL_DYNAMODB`). */
  client?: DynamoDBClient;
  expiresAfterSeconds?: number;
}

interface KeyedSetupRequest {
  customerId: string;
  key: string;
  input: CreateSetupRequest;
}

export type IssueSetup = (input: CreateSetupRequest) => Promise<SetupOffer>;

export function createSetupIdempotency({
  tableName,
  client,
  expiresAfterSeconds = SETUP_IDEMPOTENCY_SECONDS,
}: SetupIdempotencyOptions) {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[customerId, key]',
    payloadValidationJmesPath: 'input',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName,
    ...(client ? { awsSdkV3Client: client } : {}),
    keyAttr: TABLE_KEYS.partitionKey,
    sortKeyAttr: TABLE_KEYS.sortKey,
    staticPkValue: SETUP_IDEMPOTENCY_PARTITION,
    expiryAttr: TTL_ATTRIBUTE,
    statusAttr: 'idempotencyStatus',
  });

  return {
    /** Lets an interrupted call's record expire with the invocation instead of after a day. */
    registerLambdaContext(context: Context): void {
      config.registerLambdaContext(context);
    },

    /** Runs `issue` at most once per (customer, key); a repeat returns the first offer. */
    async issueOnce(key: string, input: CreateSetupRequest, issue: IssueSetup): Promise<SetupOffer> {
      const once = makeIdempotent(async (request: KeyedSetupRequest) => issue(request.input), {
        persistenceStore,
        config,
      });
      try {
        return await once({ customerId: input.customerId, key, input });
      } catch (error) {
        if (error instanceof IdempotencyValidationError) {
          throw new HttpError(
            422,
            'This Idempotency-Key was already used with a different request body: use a new key for a new request.',
          );
        }
        if (error instanceof IdempotencyAlreadyInProgressError) {
          throw new HttpError(
            409,
            'A request with this Idempotency-Key is still in progress: retry shortly.',
            {
              'retry-after': '1',
            },
          );
        }
        throw error;
      }
    },
  };
}

export type SetupIdempotency = ReturnType<typeof createSetupIdempotency>;
