/**
 * EventBridge rule patterns and schedules, used as they are by the CDK stack, the handlers'
 * tests and the local event router, so what is tested is what is deployed.
 */
import { DETAIL_TYPES, EVENT_SOURCE } from './catalog.ts';

export type EventPattern = Record<string, unknown>;

export interface RuleDefinition {
  /** Stable id, used for the CDK construct id and the local router. */
  id: string;
  description: string;
  /** The function folder under `functions/` that the rule targets. */
  target: string;
  pattern?: EventPattern;
  /** An EventBridge schedule expression, for scheduled rules. */
  schedule?: string;
  /** The constant input a scheduled rule sends, when it is not the plain scheduled event. */
  input?: Record<string, unknown>;
}

export const STACK_DELETE_STATUSES = ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE'] as const;

export const RULES = {
  roleRegistered: {
    id: 'role-registered',
    description: 'A role was registered or changed: prove it before it goes live.',
    target: 'role-validator',
    pattern: { source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.roleRegistered] },
  },
  stackDeleted: {
    id: 'stack-deleted',
    description: "A customer's integration stack is going away: revoke access at once.",
    target: 'revocation',
    pattern: {
      $or: [
        { source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.integrationStackDeleted] },
        {
          source: ['aws.cloudformation'],
          'detail-type': ['CloudFormation Stack Status Change'],
          detail: { 'status-details': { status: [...STACK_DELETE_STATUSES] } },
        },
      ],
    },
  },
  migrationReminderSchedule: {
    id: 'migration-reminder-daily',
    description: 'Daily: remind customers still on access keys past the grace period.',
    target: 'migration-reminder',
    schedule: 'cron(0 3 * * ? *)',
  },
  revalidationSchedule: {
    id: 'revalidation-daily',
    description: 'Daily: re-check ACTIVE connections; mark roles deleted by hand BROKEN.',
    target: 'role-validator',
    schedule: 'cron(30 3 * * ? *)',
    input: { mode: 'revalidate' },
  },
} as const satisfies Record<string, RuleDefinition>;
