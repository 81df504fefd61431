/**
 * Hostile probe answers (docs/architecture.md §9.4, invariant 8): whatever a probe's one call
 * throws — any error name, any message, a value that is not an Error — is classified allowed,
 * denied or inconclusive without throwing; a denial only for AWS's access-denied error names, an
 * allowance only for success or ResourceNotFoundException, and the permission check built on it
 * records findings only for the probed action, in the layer the message names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PermissionCheck } from '#shared/permissions/checks.ts';
import { layerOfAccessDenied } from '#shared/permissions/denial.ts';
import { createPermissionChecker } from '#shared/permissions/permission-check.ts';
import { classifyProbeError } from '#shared/permissions/probes.ts';
import { createFigures } from './support/figures.ts';
import { FUZZ_RUNS, FUZZ_SEED } from './support/settings.ts';

const figures = createFigures(import.meta.filename);
const RUNS = Math.max(200, Math.ceil(FUZZ_RUNS * 0.02));
const DENIED = ['AccessDenied', 'AccessDeniedException', 'AuthorizationError', 'UnauthorizedOperation'];

const phrase = fc.constantFrom(
  'with an explicit deny in a resource control policy',
  'with an explicit deny in a service control policy',
  'with an explicit deny in a resource-based policy',
  'because no identity-based policy allows the dynamodb:DescribeTable action',
  'WITH AN EXPLICIT DENY IN A RESOURCE CONTROL POLICY: arn:aws:organizations::1:policy/o-x/resource_control_policy/p-1',
  '',
);
const message = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.tuple(fc.string({ maxLength: 80 }), phrase).map(([a, b]) => `${a} ${b}`),
);
const errorName = fc.oneof(
  fc.constantFrom(
    ...DENIED,
    'ResourceNotFoundException',
    'ThrottlingException',
    'TimeoutError',
    'ExpiredTokenException',
    '',
  ),
  fc.string({ maxLength: 40 }),
);
/** What a call may throw: SDK-like errors, and values no SDK should throw. */
const thrown = fc.oneof(
  fc.tuple(errorName, message).map(([name, text]) => Object.assign(new Error(text), { name })),
  fc.anything({ maxDepth: 2 }),
);

describe('probe answers under hostile input', () => {
  it(`classifies ${RUNS} generated answers without throwing, denying only on AWS's access-denied names`, () => {
    fc.assert(
      fc.property(thrown, (error) => {
        figures.add('hostileCases');
        const outcome = classifyProbeError(error);
        const name = error instanceof Error ? error.name : undefined;
        if (outcome.kind === 'denied') {
          expect(DENIED).toContain(name);
          expect(outcome.layer).toBe(layerOfAccessDenied((error as Error).message));
        } else if (outcome.kind === 'allowed') {
          expect(name).toBe('ResourceNotFoundException');
        } else {
          expect(outcome.reason.length).toBeGreaterThan(0);
          expect(outcome.reason.length).toBeLessThanOrEqual(100);
        }
      }),
      { numRuns: RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
    );
    figures.write();
  });

  it(`records ${Math.ceil(RUNS / 4)} generated probe answers only against the probed action, never throwing`, async () => {
    const checks: PermissionCheck[] = [
      { action: 'ssm:GetParameter', resources: ['*'], context: {}, optional: false },
      {
        action: 'dynamodb:DescribeTable',
        resources: ['*'],
        context: {},
        optional: false,
        probe: {
          resource: 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/t',
          named: false,
        },
      },
    ];
    const allowedByTheSimulator = {
      send: async () => ({
        EvaluationResults: checks.map((check) => ({ EvalActionName: check.action, EvalDecision: 'allowed' })),
      }),
      destroy: () => {},
    };
    await fc.assert(
      fc.asyncProperty(thrown, async (error) => {
        figures.add('hostileCases');
        const report = await createPermissionChecker({
          checks,
          region: 'us-east-1',
          iamFor: () => allowedByTheSimulator as never,
          probeCalls: {
            'dynamodb:DescribeTable': async () => {
              throw error;
            },
          },
        }).check({
          roleArn: 'arn:aws:iam::111122223333:role/KeylessAccess',
          credentials: {
            AccessKeyId: 'ASIA',
            SecretAccessKey: 's',
            SessionToken: 't',
            Expiration: new Date(),
          },
        });
        for (const finding of [...report.missing, ...report.optionalMissing])
          expect(finding.action).toBe('dynamodb:DescribeTable');
        expect(report.unprobed ?? []).toEqual(
          classifyProbeError(error).kind === 'inconclusive' ? ['dynamodb:DescribeTable'] : [],
        );
      }),
      { numRuns: Math.ceil(RUNS / 4), ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
    );
    figures.write();
  });
});
