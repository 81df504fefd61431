/** Schemas for the identifiers that cross the API and the custom resource, with messages a caller can act on. */
import { z } from 'zod';
import { EXTERNAL_ID_PATTERN, ROLE_ARN_PATTERN } from '../domain/sts-limits.ts';

/** A string field whose message says whether it was missing or of the wrong type. */
export const requiredString = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });

/**
 * A customer id as the provider's product names it: 1–128 characters of letters, digits and
 * `_ . @ + = : -`, starting with a letter or digit. `#` is excluded (it delimits table keys).
 */
export const customerIdSchema = requiredString()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(
    /^[A-Za-z0-9][\w.@+=:-]*$/,
    'may contain only letters, digits and _ . @ + = : - (starting with a letter or digit)',
  );

export const accountIdSchema = requiredString().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

export const externalIdSchema = requiredString()
  .max(1224, 'must be at most 1224 characters')
  .regex(EXTERNAL_ID_PATTERN, 'must be 2–1224 characters of letters, digits and + = , . @ : / - _');

export const roleArnSchema = requiredString()
  .max(2048, 'must be at most 2048 characters')
  .regex(ROLE_ARN_PATTERN, 'must be an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>)');
