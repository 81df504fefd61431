/**
 * The sample events in `events/`, loaded by name and parsed with the schema of the handler that
 * receives them: typed without casts, a fresh copy per call, and a sample that drifts from what
 * the handler accepts fails here first.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { customResourceRequestSchema, snsEventSchema } from '#shared/cloudformation/request.ts';
import { DETAIL_TYPES, eventBridgeEnvelope, stackStatusChangeSchema } from '#shared/events/catalog.ts';

/** The fields of an API Gateway HTTP API (payload 2.0) event the setup API reads. */
const apiGatewayEventSchema = z.looseObject({
  rawPath: z.string(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean(),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
  requestContext: z.looseObject({
    requestId: z.string(),
    stage: z.string(),
    http: z.looseObject({ method: z.string() }),
  }),
});

const SAMPLES = {
  'sns/custom-resource-create': snsEventSchema,
  'sns/custom-resource-delete': snsEventSchema,
  'cloudformation/custom-resource-create': customResourceRequestSchema,
  'cloudformation/custom-resource-update': customResourceRequestSchema,
  'cloudformation/custom-resource-delete': customResourceRequestSchema,
  'eventbridge/role-registered': eventBridgeEnvelope(DETAIL_TYPES.roleRegistered),
  'eventbridge/integration-stack-deleted': eventBridgeEnvelope(DETAIL_TYPES.integrationStackDeleted),
  'eventbridge/stack-status-change': stackStatusChangeSchema,
  'eventbridge/revalidation-schedule': z.strictObject({ mode: z.literal('revalidate') }),
  'api/post-setups': apiGatewayEventSchema,
  'api/get-connections': apiGatewayEventSchema,
  'api/post-revoke': apiGatewayEventSchema,
  'api/post-rotate': apiGatewayEventSchema,
} as const;

export type SampleName = keyof typeof SAMPLES;
export type Sample<N extends SampleName> = z.output<(typeof SAMPLES)[N]>;

export function loadEvent<N extends SampleName>(name: N): Sample<N> {
  const raw: unknown = JSON.parse(readFileSync(resolve('events', `${name}.json`), 'utf8'));
  return SAMPLES[name].parse(raw) as Sample<N>;
}
