/**
 * zod/mini loads no locale of its own: shared/zod-locale.ts gives it English, so an issue whose
 * schema sets no message still says what is wrong (docs/architecture.md §9, *Bundles*).
 */
import { describe, expect, it } from 'vitest';
import { answerableRequestSchema, describeIssues } from '#shared/cloudformation/request.ts';
import { loadConfig } from '#shared/config.ts';
import { parseInput } from '#shared/onboarding/parse-input.ts';
import { permissionCheckSchema } from '#shared/permissions/checks.ts';

describe("zod's messages", () => {
  it('are English in a custom-resource refusal', () => {
    const parsed = answerableRequestSchema.safeParse({
      ResponseURL: '',
      StackId: 'stack',
      RequestId: 'r'.repeat(257),
    });
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.error!)).toBe(
      'ResponseURL Too small: expected string to have >=1 characters; ' +
        'RequestId Too big: expected string to have <=256 characters; ' +
        'LogicalResourceId Invalid input: expected string, received undefined',
    );
  });

  it('are English in a configuration error', () => {
    expect(() => loadConfig(['POWERTOOLS_SERVICE_NAME'], { POWERTOOLS_SERVICE_NAME: '  ' })).toThrow(
      'Invalid configuration: POWERTOOLS_SERVICE_NAME Too small: expected string to have >=1 characters.',
    );
  });

  it('are English in a refused request', () => {
    expect(() => parseInput(permissionCheckSchema, { action: 's3:GetObject', optional: 'no' })).toThrow(
      'Invalid request: resources Invalid input: expected array, received undefined; ' +
        'context Invalid input: expected record, received undefined; ' +
        'optional Invalid input: expected boolean, received string.',
    );
  });
});
