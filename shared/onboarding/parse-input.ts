import * as z from 'zod/mini';
import '../zod-locale.ts';
import { ValidationError } from '../errors.ts';

/** Parses with a schema; on failure a ValidationError listing each field and why. */
export function parseInput<S extends z.core.$ZodType>(schema: S, input: unknown, where = ''): z.output<S> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => {
    const at = (extra: string[]) =>
      [where, ...issue.path.map(String), ...extra].filter(Boolean).join('.') || 'body';
    // An unknown field is named as the field itself: "admin is not a field of this request".
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: at([key]), message: 'is not a field of this request' }));
    }
    return [{ path: at([]), message: issue.message }];
  });
  throw new ValidationError(
    `Invalid request: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}.`,
    issues,
  );
}
