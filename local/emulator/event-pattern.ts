/**
 * EventBridge content filtering, as documented in "Content filtering in Amazon EventBridge event
 * patterns": the local event bus routes events to functions with the same rule patterns as the
 * CDK stack (`shared/events/rules.ts`), so a pattern that matches here matches in AWS.
 *
 * Semantics implemented:
 * - keys are ANDed; the values in a leaf array are ORed; nested objects match nested fields;
 * - a leaf matches exact strings, numbers (by numeric value), booleans and null; `""` matches an
 *   empty string;
 * - `prefix` / `suffix` (optionally `{ "equals-ignore-case": … }`), `equals-ignore-case`,
 *   `wildcard` (`*` matches any run of characters, `\*` a literal star), `numeric` ranges,
 *   `exists` true/false (leaf fields only), `cidr`, and `anything-but` with a value, a list, or
 *   `prefix` / `suffix` / `equals-ignore-case` / `wildcard`;
 * - `$or` takes a list of sub-patterns, any of which may match;
 * - when the event's value is an array, the field matches if any element matches.
 *
 * A pattern is compiled once (and rejected there if malformed, as PutRule would), then applied.
 */
import type { EventPattern } from '#shared/events/rules.ts';

export type { EventPattern };

export class InvalidEventPatternError extends Error {
  constructor(message: string) {
    super(`Invalid event pattern: ${message}`);
    this.name = 'InvalidEventPatternError';
  }
}

export type EventMatcher = (event: unknown) => boolean;

const MISSING: unique symbol = Symbol('missing');
type Field = unknown;
type ValueTest = (value: unknown) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Compiles a pattern into a predicate. Throws InvalidEventPatternError for a malformed pattern. */
export function compileEventPattern(pattern: EventPattern): EventMatcher {
  if (!isObject(pattern)) throw new InvalidEventPatternError('a pattern must be a JSON object');
  const match = compileObject(pattern);
  return (event) => match(event);
}

/** True when `event` matches `pattern` (compiles the pattern on every call: prefer compileEventPattern). */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return compileEventPattern(pattern)(event);
}

function compileObject(pattern: Record<string, unknown>): (event: unknown) => boolean {
  const tests = Object.entries(pattern).map(([key, expected]): ((event: unknown) => boolean) => {
    if (key === '$or') return compileOr(expected);
    const read = (event: unknown): Field =>
      isObject(event) && Object.hasOwn(event, key) ? event[key] : MISSING;
    if (isObject(expected)) {
      const nested = compileNested(expected);
      return (event) => nested(read(event));
    }
    if (Array.isArray(expected)) {
      const leaf = compileLeaf(key, expected);
      return (event) => leaf(read(event));
    }
    throw new InvalidEventPatternError(`"${key}" must be an array of values or a nested object`);
  });
  return (event) => tests.every((test) => test(event));
}

function compileOr(alternatives: unknown): (event: unknown) => boolean {
  if (!Array.isArray(alternatives) || alternatives.length < 2 || !alternatives.every(isObject)) {
    throw new InvalidEventPatternError('"$or" must be an array of at least two patterns');
  }
  const compiled = alternatives.map(compileObject);
  return (event) => compiled.some((alternative) => alternative(event));
}

function compileNested(pattern: Record<string, unknown>): (field: Field) => boolean {
  const match = compileObject(pattern);
  const nested = (field: Field): boolean =>
    // A missing object still lets `exists: false` leaves below it match.
    Array.isArray(field) ? field.some(nested) : match(field === MISSING ? undefined : field);
  return nested;
}

function compileLeaf(key: string, conditions: unknown[]): (field: Field) => boolean {
  if (conditions.length === 0) throw new InvalidEventPatternError(`"${key}" must not be an empty array`);
  const tests = conditions.map((condition): ((field: Field) => boolean) => {
    if (isObject(condition) && 'exists' in condition) return compileExists(key, condition);
    const test = compileCondition(key, condition);
    return (field) => {
      if (field === MISSING) return false;
      return Array.isArray(field) ? field.some(test) : test(field);
    };
  });
  return (field) => tests.some((test) => test(field));
}

function compileExists(key: string, condition: Record<string, unknown>): (field: Field) => boolean {
  const wanted = condition.exists;
  if (typeof wanted !== 'boolean' || Object.keys(condition).length !== 1) {
    throw new InvalidEventPatternError(`"${key}": exists takes true or false`);
  }
  // Existence matching works on leaf nodes only: an object is not a leaf.
  return (field) =>
    (field !== MISSING && !isObject(field) && !(Array.isArray(field) && field.length === 0)) === wanted;
}

function compileCondition(key: string, condition: unknown): ValueTest {
  if (condition === null || typeof condition !== 'object') return (value) => value === condition;
  if (!isObject(condition)) throw new InvalidEventPatternError(`"${key}" has a nested array`);
  const [operator, operand] = singleEntry(key, condition);
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return compileAffix(key, operator, operand);
    case 'equals-ignore-case': {
      const expected = stringOperand(key, operator, operand).toLowerCase();
      return (value) => typeof value === 'string' && value.toLowerCase() === expected;
    }
    case 'wildcard': {
      const expression = wildcardRegExp(stringOperand(key, operator, operand));
      return (value) => typeof value === 'string' && expression.test(value);
    }
    case 'numeric':
      return compileNumeric(key, operand);
    case 'cidr':
      return compileCidr(key, stringOperand(key, operator, operand));
    case 'anything-but':
      return compileAnythingBut(key, operand);
    default:
      throw new InvalidEventPatternError(`"${key}" uses the unknown filter "${operator}"`);
  }
}

function singleEntry(key: string, filter: Record<string, unknown>): [string, unknown] {
  const entries = Object.entries(filter);
  if (entries.length !== 1) {
    throw new InvalidEventPatternError(`"${key}" has a filter with ${entries.length} keys instead of one`);
  }
  return entries[0] as [string, unknown];
}

function stringOperand(key: string, operator: string, operand: unknown): string {
  if (typeof operand !== 'string') throw new InvalidEventPatternError(`"${key}": ${operator} takes a string`);
  return operand;
}

function compileAffix(key: string, operator: 'prefix' | 'suffix', operand: unknown): ValueTest {
  const ignoreCase = isObject(operand);
  const affix = ignoreCase
    ? stringOperand(key, `${operator} equals-ignore-case`, operand['equals-ignore-case']).toLowerCase()
    : stringOperand(key, operator, operand);
  return (value) => {
    if (typeof value !== 'string') return false;
    const subject = ignoreCase ? value.toLowerCase() : value;
    return operator === 'prefix' ? subject.startsWith(affix) : subject.endsWith(affix);
  };
}

function wildcardRegExp(wildcard: string): RegExp {
  let source = '';
  for (let i = 0; i < wildcard.length; i += 1) {
    const char = wildcard[i] as string;
    const next = wildcard[i + 1];
    if (char === '\\' && (next === '*' || next === '\\')) {
      source += `\\${next}`;
      i += 1;
    } else if (char === '*') {
      source += '.*';
    } else {
      source += char.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}

const NUMERIC_OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '=': (a, b) => a === b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function compileNumeric(key: string, operand: unknown): ValueTest {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new InvalidEventPatternError(`"${key}": numeric takes operator/number pairs`);
  }
  const comparisons: ValueTest[] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const compare = NUMERIC_OPERATORS[String(operand[i])];
    const bound = operand[i + 1];
    if (!compare || typeof bound !== 'number') {
      throw new InvalidEventPatternError(
        `"${key}": numeric has an invalid comparison "${String(operand[i])}"`,
      );
    }
    comparisons.push((value) => compare(value as number, bound));
  }
  return (value) => typeof value === 'number' && comparisons.every((compare) => compare(value));
}

function compileAnythingBut(key: string, operand: unknown): ValueTest {
  if (!isObject(operand)) {
    const excluded: unknown[] = Array.isArray(operand) ? operand : [operand];
    if (!excluded.every((one) => typeof one === 'string' || typeof one === 'number')) {
      throw new InvalidEventPatternError(`"${key}": anything-but takes strings or numbers`);
    }
    return (value) => !excluded.some((one) => one === value);
  }
  const [operator, inner] = singleEntry(key, operand);
  if (!['prefix', 'suffix', 'wildcard', 'equals-ignore-case'].includes(operator)) {
    throw new InvalidEventPatternError(`"${key}": anything-but does not support "${operator}"`);
  }
  const excluded = (Array.isArray(inner) ? inner : [inner]).map((one) =>
    compileCondition(key, { [operator]: one }),
  );
  return (value) => typeof value === 'string' && !excluded.some((test) => test(value));
}

function compileCidr(key: string, cidr: string): ValueTest {
  const [network, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const base = parseIp(network ?? '');
  if (!base || !Number.isInteger(bits) || bits < 0 || bits > base.width) {
    throw new InvalidEventPatternError(`"${key}": "${cidr}" is not a CIDR block`);
  }
  const shift = BigInt(base.width - bits);
  return (value) => {
    const address = typeof value === 'string' ? parseIp(value) : undefined;
    return address?.width === base.width && address.value >> shift === base.value >> shift;
  };
}

function parseIp(text: string): { value: bigint; width: number } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((octet) => octet > 255)) return undefined;
    return { value: octets.reduce((sum, octet) => (sum << 8n) + BigInt(octet), 0n), width: 32 };
  }
  if (!text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves[1] ? halves[1].split(':') : [];
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return { value: groups.reduce((sum, group) => (sum << 16n) + BigInt(`0x${group}`), 0n), width: 128 };
}
