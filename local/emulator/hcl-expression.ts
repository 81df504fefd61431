/**
 * Evaluates the HCL expressions the generated Terraform module writes (docs/architecture.md §9.5),
 * as Terraform would: object and tuple constructors, string templates, references, `==` `!=` `&&`
 * `||` `!`, the conditional, `{ for … : k => v if … }`, indexing, and the functions the module calls.
 * The files themselves are parsed by HashiCorp's HCL parser (@cdktf/hcl2json), which hands
 * non-literal values back as their source text; this reads only that text. Anything outside the
 * subset is an error, never a guess.
 */

export type HclValue = string | number | boolean | null | HclValue[] | { [key: string]: HclValue };

export class HclEvaluationError extends Error {
  override readonly name = 'HclEvaluationError';
}

/** What references resolve to: `var.x`, `local.x`, `data.t.n.a`, `aws_iam_role.this.arn`, `each.value`. */
export type HclScope = (root: string, path: readonly string[]) => HclValue;

type Token =
  | { kind: 'number'; value: number }
  | { kind: 'ident'; value: string }
  | { kind: 'string'; source: string }
  | { kind: 'punct'; value: string };

const PUNCTUATION = [
  '=>',
  '==',
  '!=',
  '>=',
  '<=',
  '&&',
  '||',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ',',
  '=',
  ':',
  '?',
  '.',
  '>',
  '<',
  '!',
  '+',
  '-',
];

/** The end of a quoted string starting at `start` (its opening quote), nested templates skipped. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i;
    else if ((c === '$' || c === '%') && text[i + 1] === '{' && text[i - 1] !== c)
      i = braceEnd(text, i + 1) + 1;
    else i += 1;
  }
  throw new HclEvaluationError('Unterminated string.');
}

/** The `}` closing the `{` at `start`, strings inside skipped. */
function braceEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i);
    else if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  throw new HclEvaluationError('Unbalanced braces.');
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i += 1;
      continue;
    }
    if (c === '"') {
      const end = stringEnd(text, i);
      tokens.push({ kind: 'string', source: text.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const number = /^\d+(\.\d+)?/.exec(text.slice(i));
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', value: ident[0] });
      i += ident[0].length;
      continue;
    }
    const punct = PUNCTUATION.find((p) => text.startsWith(p, i));
    if (!punct) throw new HclEvaluationError(`Unexpected "${c}" in an expression.`);
    tokens.push({ kind: 'punct', value: punct });
    i += punct.length;
  }
  return tokens;
}

/** A template's literal text with HCL's escapes undone. */
function unescapeHcl(text: string): string {
  return text
    .replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, sequence: string) => {
      if (sequence.length > 1) return String.fromCodePoint(Number.parseInt(sequence.slice(1), 16));
      const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
      const value = simple[sequence];
      if (value === undefined) throw new HclEvaluationError(`Unknown escape \\${sequence}.`);
      return value;
    })
    .replaceAll('$${', '${')
    .replaceAll('%%{', '%{');
}

const isObject = (value: HclValue): value is { [key: string]: HclValue } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const FUNCTIONS: Record<string, (args: HclValue[]) => HclValue> = {
  jsonencode: ([value]) => JSON.stringify(value ?? null),
  jsondecode: ([text]) => JSON.parse(String(text)) as HclValue,
  merge: (args) => Object.assign({}, ...args.map((arg) => (isObject(arg) ? arg : {}))),
  split: ([separator, text]) => String(text).split(String(separator)),
  length: ([value = null]) =>
    typeof value === 'string'
      ? [...value].length
      : Array.isArray(value)
        ? value.length
        : isObject(value)
          ? Object.keys(value).length
          : 0,
  contains: ([list, value]) => Array.isArray(list) && list.includes(value ?? null),
  toset: ([list]) => [...new Set(Array.isArray(list) ? list : [])],
  regex: ([pattern, text]) => {
    const match = new RegExp(String(pattern)).exec(String(text));
    if (!match) throw new HclEvaluationError(`"${String(text)}" does not match ${String(pattern)}.`);
    return match.length > 1 ? match.slice(1).map((group) => group ?? null) : match[0];
  },
};

class Parser {
  private position = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly scope: HclScope,
    private readonly bindings: Record<string, HclValue> = {},
  ) {}

  parseAll(): HclValue {
    const value = this.expression();
    if (this.position < this.tokens.length)
      throw new HclEvaluationError('Unexpected text after an expression.');
    return value;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }
  private isPunct(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === 'punct' && token.value === value;
  }
  private isIdent(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'ident' && token.value === value;
  }
  private expect(value: string): void {
    if (!this.isPunct(value)) throw new HclEvaluationError(`Expected "${value}".`);
    this.position += 1;
  }
  private identifier(): string {
    const token = this.peek();
    if (token?.kind !== 'ident') throw new HclEvaluationError('Expected a name.');
    this.position += 1;
    return token.value;
  }

  /** The tokens of one sub-expression, unevaluated, for a `for` body or a lazy `can`. */
  private skipExpression(): Token[] {
    const start = this.position;
    let depth = 0;
    while (this.position < this.tokens.length) {
      const token = this.peek();
      if (token?.kind === 'punct') {
        if (['(', '[', '{'].includes(token.value)) depth += 1;
        else if ([')', ']', '}'].includes(token.value)) {
          if (depth === 0) break;
          depth -= 1;
        } else if (depth === 0 && [',', ':', '=>'].includes(token.value)) break;
      } else if (depth === 0 && token?.kind === 'ident' && token.value === 'if') break;
      this.position += 1;
    }
    return this.tokens.slice(start, this.position);
  }

  private sub(tokens: Token[], bindings: Record<string, HclValue> = this.bindings): HclValue {
    return new Parser(tokens, this.scope, bindings).parseAll();
  }

  expression(): HclValue {
    const condition = this.or();
    if (!this.isPunct('?')) return condition;
    this.position += 1;
    const whenTrue = this.expression();
    this.expect(':');
    const whenFalse = this.expression();
    if (typeof condition !== 'boolean') throw new HclEvaluationError('A condition must be a bool.');
    return condition ? whenTrue : whenFalse;
  }

  private or(): HclValue {
    let left = this.and();
    while (this.isPunct('||')) {
      this.position += 1;
      const right = this.and();
      left = left === true || right === true;
    }
    return left;
  }

  private and(): HclValue {
    let left = this.comparison();
    while (this.isPunct('&&')) {
      this.position += 1;
      const right = this.comparison();
      left = left === true && right === true;
    }
    return left;
  }

  private comparison(): HclValue {
    const left = this.unary();
    for (const operator of ['==', '!=', '>=', '<=', '>', '<']) {
      if (!this.isPunct(operator)) continue;
      this.position += 1;
      const right = this.unary();
      if (operator === '==') return JSON.stringify(left) === JSON.stringify(right);
      if (operator === '!=') return JSON.stringify(left) !== JSON.stringify(right);
      const [a, b] = [Number(left), Number(right)];
      return operator === '>=' ? a >= b : operator === '<=' ? a <= b : operator === '>' ? a > b : a < b;
    }
    return left;
  }

  private unary(): HclValue {
    if (this.isPunct('!')) {
      this.position += 1;
      return this.unary() !== true;
    }
    if (this.isPunct('-')) {
      this.position += 1;
      return -Number(this.unary());
    }
    return this.postfix();
  }

  private postfix(): HclValue {
    let value = this.primary();
    for (;;) {
      if (this.isPunct('[')) {
        this.position += 1;
        const key = this.expression();
        this.expect(']');
        value = this.index(value, key);
      } else if (this.isPunct('.') && this.peek(1)?.kind === 'ident') {
        this.position += 1;
        value = this.index(value, this.identifier());
      } else return value;
    }
  }

  private index(value: HclValue, key: HclValue): HclValue {
    const item = Array.isArray(value) ? value[Number(key)] : isObject(value) ? value[String(key)] : undefined;
    if (item === undefined) throw new HclEvaluationError(`No element ${String(key)}.`);
    return item;
  }

  private primary(): HclValue {
    const token = this.peek();
    if (!token) throw new HclEvaluationError('Expected an expression.');
    if (token.kind === 'number') {
      this.position += 1;
      return token.value;
    }
    if (token.kind === 'string') {
      this.position += 1;
      return evaluateTemplate(token.source, this.scope, this.bindings);
    }
    if (token.kind === 'punct') {
      if (token.value === '(') {
        this.position += 1;
        const value = this.expression();
        this.expect(')');
        return value;
      }
      if (token.value === '[') return this.tuple();
      if (token.value === '{') return this.object();
      throw new HclEvaluationError(`Unexpected "${token.value}".`);
    }
    this.position += 1;
    const name = token.value;
    if (name === 'true' || name === 'false') return name === 'true';
    if (name === 'null') return null;
    if (this.isPunct('(')) return this.call(name);
    if (name in this.bindings) return this.bindings[name] as HclValue;
    // A reference: the root and its names, as far as they go (an index after them is postfix).
    const path: string[] = [];
    while (this.isPunct('.') && this.peek(1)?.kind === 'ident') {
      this.position += 1;
      path.push(this.identifier());
    }
    return this.scope(name, path);
  }

  private call(name: string): HclValue {
    this.expect('(');
    if (name === 'can') {
      const tokens = this.skipExpression();
      this.expect(')');
      try {
        this.sub(tokens);
        return true;
      } catch (error) {
        if (error instanceof HclEvaluationError) return false;
        throw error;
      }
    }
    const fn = FUNCTIONS[name];
    if (!fn) throw new HclEvaluationError(`The function ${name} is not evaluated here.`);
    const args: HclValue[] = [];
    while (!this.isPunct(')')) {
      args.push(this.expression());
      if (this.isPunct(',')) this.position += 1;
    }
    this.expect(')');
    return fn(args);
  }

  private tuple(): HclValue {
    this.expect('[');
    const items: HclValue[] = [];
    while (!this.isPunct(']')) {
      items.push(this.expression());
      if (this.isPunct(',')) this.position += 1;
    }
    this.expect(']');
    return items;
  }

  private object(): HclValue {
    this.expect('{');
    if (this.isIdent('for')) return this.forObject();
    const result: Record<string, HclValue> = {};
    while (!this.isPunct('}')) {
      const token = this.peek();
      let key: string;
      if (token?.kind === 'ident') {
        this.position += 1;
        key = token.value;
      } else if (token?.kind === 'string') {
        this.position += 1;
        key = String(evaluateTemplate(token.source, this.scope, this.bindings));
      } else throw new HclEvaluationError('Expected an object key.');
      if (this.isPunct('=') || this.isPunct(':')) this.position += 1;
      else throw new HclEvaluationError(`Expected "=" after ${key}.`);
      result[key] = this.expression();
      if (this.isPunct(',')) this.position += 1;
    }
    this.expect('}');
    return result;
  }

  /** `{ for k, v in collection : key => value if condition }`. */
  private forObject(): HclValue {
    this.position += 1;
    const first = this.identifier();
    let second: string | undefined;
    if (this.isPunct(',')) {
      this.position += 1;
      second = this.identifier();
    }
    if (!this.isIdent('in')) throw new HclEvaluationError('Expected "in".');
    this.position += 1;
    const collection = this.expression();
    this.expect(':');
    const keyTokens = this.skipExpression();
    this.expect('=>');
    const valueTokens = this.skipExpression();
    let conditionTokens: Token[] | undefined;
    if (this.isIdent('if')) {
      this.position += 1;
      conditionTokens = this.skipExpression();
    }
    this.expect('}');
    const entries: [HclValue, HclValue][] = Array.isArray(collection)
      ? collection.map((item, index) => [index, item])
      : isObject(collection)
        ? Object.entries(collection)
        : [];
    const result: Record<string, HclValue> = {};
    for (const [key, value] of entries) {
      const bindings = {
        ...this.bindings,
        ...(second === undefined ? { [first]: value } : { [first]: key, [second]: value }),
      };
      if (conditionTokens && this.sub(conditionTokens, bindings) !== true) continue;
      result[String(this.sub(keyTokens, bindings))] = this.sub(valueTokens, bindings);
    }
    return result;
  }
}

/** One expression's source, evaluated. */
export function evaluateExpression(
  source: string,
  scope: HclScope,
  bindings: Record<string, HclValue> = {},
): HclValue {
  return new Parser(tokenize(source), scope, bindings).parseAll();
}

/**
 * A template's source (what is between a string's quotes, or a value @cdktf/hcl2json hands back):
 * a lone `${…}` is its expression's value, anything else the text with each interpolation in it.
 */
export function evaluateTemplate(
  source: string,
  scope: HclScope,
  bindings: Record<string, HclValue> = {},
): HclValue {
  const parts: ({ text: string } | { expression: string })[] = [];
  let literal = '';
  let i = 0;
  while (i < source.length) {
    if (source.startsWith('$${', i) || source.startsWith('%%{', i)) {
      literal += source.slice(i, i + 3);
      i += 3;
    } else if (source.startsWith('${', i)) {
      const end = braceEnd(source, i + 1);
      if (literal) parts.push({ text: literal });
      literal = '';
      parts.push({ expression: source.slice(i + 2, end) });
      i = end + 1;
    } else if (source.startsWith('%{', i)) {
      throw new HclEvaluationError('Template directives are not evaluated here.');
    } else {
      literal += source[i] === '\\' ? source.slice(i, i + 2) : source[i];
      i += source[i] === '\\' ? 2 : 1;
    }
  }
  if (literal) parts.push({ text: literal });
  const [only] = parts;
  if (parts.length === 1 && only && 'expression' in only)
    return evaluateExpression(only.expression, scope, bindings);
  return parts
    .map((part) => {
      if ('text' in part) return unescapeHcl(part.text);
      const value = evaluateExpression(part.expression, scope, bindings);
      if (typeof value === 'object' && value !== null)
        throw new HclEvaluationError('Cannot interpolate a collection.');
      return String(value);
    })
    .join('');
}
