/**
 * Reads the provider config: `keyless.config.json` at the repository root, or the file
 * `KEYLESS_CONFIG` names. One error lists every bad field with its path and what to write instead
 * (`permissions.ongoing.statements[2].Action: must be written service:Action …`).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as z from 'zod/mini';
import '../zod-locale.ts';
import { type ProviderConfig, providerConfigSchema } from './schema.ts';

export const DEFAULT_CONFIG_FILE = 'keyless.config.json';

export class ProviderConfigError extends Error {
  override readonly name = 'ProviderConfigError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid provider config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** `permissions.ongoing.statements[2].Action`, as a person writes the path (odd keys quoted: `[""]`). */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const key = String(segment);
      if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `[${JSON.stringify(key)}]`;
      return `${index === 0 ? '' : '.'}${key}`;
    })
    .join('');
}

export function describeConfigIssues(error: z.core.$ZodError): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map(
        (key) =>
          `${formatPath([...issue.path, key])}: is not a setting Keyless knows; remove it or fix its spelling`,
      );
    }
    return [`${formatPath(issue.path) || '(the file)'}: ${issue.message}`];
  });
}

/** Validates a parsed config; throws ProviderConfigError naming every bad field. */
export function parseProviderConfig(value: unknown, file = DEFAULT_CONFIG_FILE): ProviderConfig {
  const result = providerConfigSchema.safeParse(value);
  if (!result.success) throw new ProviderConfigError(file, describeConfigIssues(result.error));
  return result.data;
}

/** The file to read: `KEYLESS_CONFIG`, or keyless.config.json in the working directory. */
export function providerConfigPath(env: Record<string, string | undefined> = process.env): string {
  return resolve(env.KEYLESS_CONFIG || DEFAULT_CONFIG_FILE);
}

export function loadProviderConfig(file = providerConfigPath()): ProviderConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ProviderConfigError(file, [
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): create it, or point KEYLESS_CONFIG at your config`,
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProviderConfigError(file, [`is not valid JSON: ${(error as Error).message}`]);
  }
  return parseProviderConfig(value, file);
}
