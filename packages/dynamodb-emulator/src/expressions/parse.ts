/**
 * DynamoDB's expression language, parsed with DynamoDB's rules: condition (and filter)
 * expressions, update expressions and projection expressions, with their placeholders resolved
 * and the request-level checks DynamoDB makes before it reads an item (syntax, reserved words,
 * undefined placeholders, operand types of literal values, nesting depth 32, at most 100 IN
 * operands, 300 operators, 4 KB of text). Evaluation is in evaluate.ts.
 */
import {
  ALL_FUNCTIONS,
  COMPARATORS,
  CONDITION_FUNCTIONS,
  ExpressionError,
  MAX_BYTES,
  MAX_DEPTH,
  MAX_IN,
  MAX_OPERATORS,
  type Placeholders,
  type Token,
  tokenize,
} from './lexer.ts';
import { isReserved } from './reserved.ts';
import { type AttributeValue, compare, TYPES, typeOf } from './values.ts';

export type PathElement = string | number;
export interface Path {
  k: 'path';
  elements: PathElement[];
}
export type Operand =
  | Path
  | { k: 'value'; value: AttributeValue }
  | { k: 'size'; path: Path | { k: 'value'; value: AttributeValue } };
export type Condition =
  | { k: 'compare'; op: string; left: Operand; right: Operand }
  | { k: 'between'; subject: Operand; low: Operand; high: Operand }
  | { k: 'in'; subject: Operand; list: Operand[] }
  | { k: 'function'; name: string; path: Path; operand?: Operand }
  | { k: 'and' | 'or'; left: Condition; right: Condition }
  | { k: 'not'; operand: Condition };

export type SetValue =
  | Operand
  | { k: 'if_not_exists'; path: Path; fallback: SetValue }
  | { k: 'list_append'; first: SetValue; second: SetValue }
  | { k: '+' | '-'; left: SetValue; right: SetValue };
export interface UpdateActions {
  set: { path: Path; value: SetValue }[];
  remove: Path[];
  add: { path: Path; value: AttributeValue }[];
  delete: { path: Path; value: AttributeValue }[];
}

/** Refused before any item is read: DynamoDB's ValidationException. */
export class Parser {
  private i = 0;
  private readonly tokens: Token[];
  operators = 0;

  constructor(
    text: string,
    readonly what: string,
    private readonly p: Placeholders,
  ) {
    if (text.trim() === '') throw new ExpressionError(`Invalid ${what}: The expression can not be empty;`);
    if (Buffer.byteLength(text) > MAX_BYTES) {
      throw new ExpressionError(
        `Invalid ${what}: Expression size has exceeded the maximum allowed size; expression size: ${Buffer.byteLength(text)}`,
      );
    }
    this.tokens = tokenize(text, what);
  }

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)] as Token;
  }
  next(): Token {
    const token = this.peek();
    this.i += 1;
    return token;
  }
  keyword(word: string): boolean {
    const token = this.peek();
    if (token.t === 'name' && token.s.toUpperCase() === word) {
      this.i += 1;
      return true;
    }
    return false;
  }
  punct(s: string): boolean {
    const token = this.peek();
    if (token.t === 'punct' && token.s === s) {
      this.i += 1;
      return true;
    }
    return false;
  }
  fail(token = this.peek()): never {
    throw new ExpressionError(`Invalid ${this.what}: Syntax error; token: "${token.s}", near: "${token.s}"`);
  }
  expect(s: string): void {
    if (!this.punct(s)) this.fail();
  }
  atEnd(): void {
    if (this.peek().t !== 'end') this.fail();
  }
  count(): void {
    this.operators += 1;
    if (this.operators > MAX_OPERATORS) {
      throw new ExpressionError(
        `Invalid ${this.what}: The expression contains too many operators; operator count: ${this.operators}`,
      );
    }
  }

  name(token: Token): string {
    if (token.t === 'attr') {
      const resolved = this.p.names?.[token.s];
      if (resolved === undefined) {
        throw new ExpressionError(
          `Invalid ${this.what}: An expression attribute name used in the document path is not defined; attribute name: ${token.s}`,
        );
      }
      this.p.usedNames.add(token.s);
      return resolved;
    }
    if (token.t !== 'name') this.fail(token);
    if (isReserved(token.s)) {
      throw new ExpressionError(
        `Invalid ${this.what}: Attribute name is a reserved keyword; reserved keyword: ${token.s}`,
      );
    }
    return token.s;
  }

  path(): Path {
    const elements: PathElement[] = [this.name(this.next())];
    for (;;) {
      const token = this.peek();
      if (token.t === 'index') {
        this.i += 1;
        const index = Number(token.s);
        if (!Number.isSafeInteger(index) || index > 2 ** 31 - 1) {
          throw new ExpressionError(`Invalid ${this.what}: List index is too large; index: ${token.s}`);
        }
        elements.push(index);
      } else if (token.t === 'punct' && token.s === '.') {
        this.i += 1;
        elements.push(this.name(this.next()));
      } else break;
    }
    if (elements.length > MAX_DEPTH) {
      throw new ExpressionError(
        `Invalid ${this.what}: The document path has too many nesting levels; nesting levels: ${elements.length}`,
      );
    }
    return { k: 'path', elements };
  }

  value(token: Token): AttributeValue {
    const value = this.p.values?.[token.s];
    if (value === undefined) {
      throw new ExpressionError(
        `Invalid ${this.what}: An expression attribute value used in expression is not defined; attribute value: ${token.s}`,
      );
    }
    this.p.usedValues.add(token.s);
    return value;
  }

  /** path | :value | size(path) */
  operand(): Operand {
    const token = this.peek();
    if (token.t === 'value') {
      this.i += 1;
      return { k: 'value', value: this.value(token) };
    }
    if (token.t === 'name' && this.peek(1).s === '(' && this.peek(1).t === 'punct') {
      const fn = token.s;
      if (!ALL_FUNCTIONS.has(fn))
        throw new ExpressionError(`Invalid ${this.what}: Invalid function name; function: ${fn}`);
      if (fn !== 'size')
        throw new ExpressionError(
          `Invalid ${this.what}: The function is not allowed to be used this way in an expression; function: ${fn}`,
        );
      this.i += 2;
      this.count();
      const inner = this.peek();
      if (inner.t === 'value') {
        // DynamoDB takes size() of a literal value too.
        this.i += 1;
        const value = this.value(inner);
        this.expect(')');
        if (['N', 'BOOL', 'NULL'].includes(typeOf(value))) {
          throw new ExpressionError(
            `Invalid ${this.what}: Incorrect operand type for operator or function; operator or function: size, operand type: ${typeOf(value)}`,
          );
        }
        return { k: 'size', path: { k: 'value', value } };
      }
      const arg = this.path();
      this.expect(')');
      return { k: 'size', path: arg };
    }
    if (token.t === 'attr' || token.t === 'name') return this.path();
    return this.fail();
  }

  functionArgument(fn: string): Path {
    const token = this.peek();
    if (token.t === 'value') {
      this.i += 1;
      const type = typeOf(this.value(token));
      if (fn === 'size' && ['N', 'BOOL', 'NULL'].includes(type)) {
        throw new ExpressionError(
          `Invalid ${this.what}: Incorrect operand type for operator or function; operator or function: ${fn}, operand type: ${type}`,
        );
      }
      throw new ExpressionError(
        `Invalid ${this.what}: Operator or function requires a document path; operator or function: ${fn}`,
      );
    }
    return this.path();
  }

  condition(): Condition {
    let left = this.conjunction();
    while (this.keyword('OR')) {
      this.count();
      left = { k: 'or', left, right: this.conjunction() };
    }
    return left;
  }
  conjunction(): Condition {
    let left = this.negation();
    while (this.keyword('AND')) {
      this.count();
      left = { k: 'and', left, right: this.negation() };
    }
    return left;
  }
  negation(): Condition {
    if (this.keyword('NOT')) {
      this.count();
      return { k: 'not', operand: this.negation() };
    }
    return this.primary();
  }
  primary(): Condition {
    if (this.punct('(')) {
      if (this.peek().t === 'punct' && this.peek().s === '(' && this.closesTogether()) {
        throw new ExpressionError(`Invalid ${this.what}: The expression has redundant parentheses;`);
      }
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    const token = this.peek();
    if (token.t === 'name' && this.peek(1).t === 'punct' && this.peek(1).s === '(' && token.s !== 'size') {
      return this.conditionFunction();
    }
    const subject = this.operand();
    const op = this.peek();
    if (op.t === 'punct' && COMPARATORS.has(op.s)) {
      this.i += 1;
      this.count();
      const right = this.operand();
      const c: Condition = { k: 'compare', op: op.s, left: subject, right };
      checkCompare(c, this.what);
      return c;
    }
    if (this.keyword('BETWEEN')) {
      this.count();
      const low = this.operand();
      if (!this.keyword('AND')) this.fail();
      const high = this.operand();
      const c: Condition = { k: 'between', subject, low, high };
      checkBetween(c, this.what);
      return c;
    }
    if (this.keyword('IN')) {
      this.count();
      this.expect('(');
      const list = [this.operand()];
      while (this.punct(',')) list.push(this.operand());
      this.expect(')');
      for (const o of list) {
        if (sameOperand(subject, o)) {
          throw new ExpressionError(
            `Invalid ${this.what}: The first operand must be distinct from the remaining operands for this operator or function; operator: IN, first operand: ${describe(subject)}`,
          );
        }
      }
      if (list.length > MAX_IN) {
        throw new ExpressionError(
          `Invalid ${this.what}: The IN operator is provided with too many operands; number of operands: ${list.length}`,
        );
      }
      return { k: 'in', subject, list };
    }
    return this.fail();
  }

  /** Whether the parenthesis at the cursor closes right before the one that opened before it: `((…))`. */
  closesTogether(): boolean {
    let depth = 0;
    for (let j = this.i; j < this.tokens.length; j++) {
      const token = this.tokens[j] as Token;
      if (token.t !== 'punct') continue;
      if (token.s === '(') depth += 1;
      else if (token.s === ')') {
        depth -= 1;
        if (depth === 0) {
          const after = this.tokens[j + 1];
          return after?.t === 'punct' && after.s === ')';
        }
      }
    }
    return false;
  }

  conditionFunction(): Condition {
    const name = this.next().s;
    this.i += 1;
    if (!CONDITION_FUNCTIONS.has(name)) {
      if (ALL_FUNCTIONS.has(name))
        throw new ExpressionError(
          `Invalid ${this.what}: The function is not allowed to be used this way in an expression; function: ${name}`,
        );
      throw new ExpressionError(`Invalid ${this.what}: Invalid function name; function: ${name}`);
    }
    this.count();
    const args: Operand[] = [this.operand()];
    while (this.punct(',')) args.push(this.operand());
    this.expect(')');
    const arity = name.startsWith('attribute_') && name !== 'attribute_type' ? 1 : 2;
    if (args.length !== arity) {
      throw new ExpressionError(
        `Invalid ${this.what}: Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`,
      );
    }
    const [first, second] = args as [Operand, Operand | undefined];
    if (first.k !== 'path') {
      if (first.k === 'value' && name === 'begins_with' && !['S', 'B'].includes(typeOf(first.value))) {
        throw new ExpressionError(
          `Invalid ${this.what}: Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${typeOf(first.value)}`,
        );
      }
      throw new ExpressionError(
        `Invalid ${this.what}: Operator or function requires a document path; operator or function: ${name}`,
      );
    }
    if (name === 'attribute_type') {
      const type = second?.k === 'value' ? typeOf(second.value) : second?.k === 'size' ? 'N' : undefined;
      if (type !== 'S') {
        throw new ExpressionError(
          `Invalid ${this.what}: Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${type ?? 'path'}`,
        );
      }
      const wanted = String((second as { value: AttributeValue }).value.S);
      if (!(TYPES as readonly string[]).includes(wanted)) {
        throw new ExpressionError(
          `Invalid ${this.what}: Invalid attribute type name found; type: ${wanted}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
        );
      }
    }
    if (name === 'begins_with' && second) {
      const type = second.k === 'value' ? typeOf(second.value) : second.k === 'size' ? 'N' : undefined;
      if (type && type !== 'S' && type !== 'B') {
        throw new ExpressionError(
          `Invalid ${this.what}: Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${type}`,
        );
      }
    }
    if (second && sameOperand(first, second)) {
      throw new ExpressionError(
        `Invalid ${this.what}: The first operand must be distinct from the remaining operands for this operator or function; operator: ${name}, first operand: ${describe(first)}`,
      );
    }
    return { k: 'function', name, path: first, ...(second ? { operand: second } : {}) };
  }
}

function staticType(o: Operand): string | undefined {
  return o.k === 'value' ? typeOf(o.value) : o.k === 'size' ? 'N' : undefined;
}

function describe(o: Operand): string {
  if (o.k === 'path') return `[${o.elements.join(', ')}]`;
  if (o.k === 'size') return o.path.k === 'path' ? `size([${o.path.elements.join(', ')}])` : 'size(value)';
  return JSON.stringify(o.value);
}

/** The same document path on both sides (DynamoDB refuses it; the same size() on both sides it evaluates). */
function sameOperand(a: Operand, b: Operand): boolean {
  return a.k === 'path' && b.k === 'path' && JSON.stringify(a) === JSON.stringify(b);
}

const ORDERED = new Set(['S', 'N', 'B']);

function checkCompare(c: Extract<Condition, { k: 'compare' }>, what: string): void {
  if (c.op !== '=' && c.op !== '<>') {
    for (const o of [c.left, c.right]) {
      const type = staticType(o);
      if (type && !ORDERED.has(type)) {
        throw new ExpressionError(
          `Invalid ${what}: Incorrect operand type for operator or function; operator or function: ${c.op}, operand type: ${type}`,
        );
      }
    }
  }
  if (sameOperand(c.left, c.right)) {
    throw new ExpressionError(
      `Invalid ${what}: The first operand must be distinct from the remaining operands for this operator or function; operator: ${c.op}, first operand: ${describe(c.left)}`,
    );
  }
}

function checkBetween(c: Extract<Condition, { k: 'between' }>, what: string): void {
  for (const o of [c.subject, c.low, c.high]) {
    const type = staticType(o);
    if (type && !ORDERED.has(type)) {
      throw new ExpressionError(
        `Invalid ${what}: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: ${type}`,
      );
    }
  }
  for (const bound of [c.low, c.high]) {
    if (sameOperand(c.subject, bound)) {
      throw new ExpressionError(
        `Invalid ${what}: The first operand must be distinct from the remaining operands for this operator or function; operator: BETWEEN, first operand: ${describe(c.subject)}`,
      );
    }
  }
  if (c.low.k === 'value' && c.high.k === 'value') {
    const order = compare(c.low.value, c.high.value);
    if (order === undefined) {
      throw new ExpressionError(
        `Invalid ${what}: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: ${JSON.stringify(c.low.value)}, upper bound operand: AttributeValue: ${JSON.stringify(c.high.value)}`,
      );
    }
    if (order > 0) {
      throw new ExpressionError(
        `Invalid ${what}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${JSON.stringify(c.low.value)}, upper bound operand: AttributeValue: ${JSON.stringify(c.high.value)}`,
      );
    }
  }
}

export function parseCondition(text: string, what: string, p: Placeholders): Condition {
  const parser = new Parser(text, what, p);
  const condition = parser.condition();
  parser.atEnd();
  return condition;
}

export function parseProjection(text: string, p: Placeholders): Path[] {
  const parser = new Parser(text, 'ProjectionExpression', p);
  const paths = [parser.path()];
  while (parser.punct(',')) paths.push(parser.path());
  parser.atEnd();
  checkOverlap(paths, 'ProjectionExpression');
  return paths;
}

/** Two paths where one is the other or a prefix of it: DynamoDB refuses both in one expression. */
export function checkOverlap(paths: Path[], what: string): void {
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) {
      const a = (paths[i] as Path).elements;
      const b = (paths[j] as Path).elements;
      const n = Math.min(a.length, b.length);
      if (a.slice(0, n).every((x, k) => x === b[k])) {
        const kind = a.length === b.length ? 'conflict' : 'overlap';
        throw new ExpressionError(
          `Invalid ${what}: Two document paths ${kind === 'conflict' ? 'conflict with each other' : 'overlap with each other'}; must remove or rewrite one of these paths; path one: [${a.join(', ')}], path two: [${b.join(', ')}]`,
        );
      }
    }
  }
}

export { checkUnused, ExpressionError, type Placeholders, placeholders } from './lexer.ts';
