import type { z } from 'zod';
import { ValidationError } from '../errors.ts';

/** Parses with a schema; on failure a ValidationError listing each field and why. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].filter(Boolean).join('.') || 'body',
    message: issue.message,
  }));
  throw new ValidationError(
    `Invalid request: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}.`,
    issues,
  );
}
