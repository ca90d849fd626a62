/**
 * DynamoDB's expression language, parsed with DynamoDB's rules: condition (and filter)
 * expressions, update expressions and projection expressions, with their placeholders resolved
 * and the request-level checks DynamoDB makes before it reads an item (syntax, reserved words,
 * undefined placeholders, operand types of literal values, nesting depth 32, at most 100 IN
 * operands, 300 operators, 4 KB of text). Evaluation is in evaluate.ts.
 */
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
export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

export interface Placeholders {
  names?: Record<string, string>;
  values?: Record<string, AttributeValue>;
  /** Filled as placeholders are used (for the "unused" check). */
  usedNames: Set<string>;
  usedValues: Set<string>;
}

export function placeholders(params: Record<string, unknown>): Placeholders {
  return {
    names: params.ExpressionAttributeNames as Record<string, string> | undefined,
    values: params.ExpressionAttributeValues as Record<string, AttributeValue> | undefined,
    usedNames: new Set(),
    usedValues: new Set(),
  };
}

/** After every expression of a request is parsed: names or values defined but never used are refused. */
export function checkUnused(p: Placeholders): void {
  const names = Object.keys(p.names ?? {}).filter((n) => !p.usedNames.has(n));
  if (names.length)
    throw new ExpressionError(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${names.join(', ')}}`,
    );
  const values = Object.keys(p.values ?? {}).filter((v) => !p.usedValues.has(v));
  if (values.length)
    throw new ExpressionError(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${values.join(', ')}}`,
    );
}

const MAX_BYTES = 4096;
const MAX_DEPTH = 32;
const MAX_IN = 100;
const MAX_OPERATORS = 300;
const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);
const CONDITION_FUNCTIONS = new Set([
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
]);
const ALL_FUNCTIONS = new Set([...CONDITION_FUNCTIONS, 'size', 'if_not_exists', 'list_append']);

interface Token {
  t: 'name' | 'attr' | 'value' | 'index' | 'punct' | 'end';
  s: string;
}

const TOKEN =
  /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(\[\s*\d+\s*\])|(<>|<=|>=|[=<>(),.+-])|(\S))/y;

function tokenize(text: string, what: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(start))) break;
      throw new ExpressionError(
        `Invalid ${what}: Syntax error; token: "${text.slice(start).trim()[0]}", near: "${text.slice(start, start + 10).trim()}"`,
      );
    }
    if (m[1]) tokens.push({ t: 'attr', s: m[1] });
    else if (m[2]) tokens.push({ t: 'value', s: m[2] });
    else if (m[3]) tokens.push({ t: 'name', s: m[3] });
    else if (m[4]) tokens.push({ t: 'index', s: m[4].replace(/[\s[\]]/g, '') });
    else if (m[5]) tokens.push({ t: 'punct', s: m[5] });
    else if (m[6])
      throw new ExpressionError(
        `Invalid ${what}: Syntax error; token: "${m[6]}", near: "${text.slice(start, start + 10).trim()}"`,
      );
  }
  tokens.push({ t: 'end', s: '<EOF>' });
  return tokens;
}

class Parser {
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

function sameOperand(a: Operand, b: Operand): boolean {
  return a.k === b.k && a.k !== 'value' && JSON.stringify(a) === JSON.stringify(b);
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

export function parseUpdate(text: string, p: Placeholders): UpdateActions {
  const parser = new Parser(text, 'UpdateExpression', p);
  const actions: UpdateActions = { set: [], remove: [], add: [], delete: [] };
  const seen = new Set<string>();
  while (parser.peek().t !== 'end') {
    const token = parser.next();
    const clause = token.t === 'name' ? token.s.toUpperCase() : '';
    if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(clause)) parser.fail(token);
    if (seen.has(clause)) {
      throw new ExpressionError(
        `Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression;`,
      );
    }
    seen.add(clause);
    do {
      const path = parser.path();
      if (clause === 'SET') {
        parser.expect('=');
        actions.set.push({ path, value: setValue(parser) });
      } else if (clause === 'REMOVE') actions.remove.push(path);
      else {
        const token = parser.next();
        if (token.t !== 'value') parser.fail(token);
        const value = parser.value(token);
        const type = typeOf(value);
        if (clause === 'ADD' && type !== 'N' && !type.endsWith('S')) {
          throw new ExpressionError(
            `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${type}`,
          );
        }
        if (clause === 'DELETE' && !['SS', 'NS', 'BS'].includes(type)) {
          throw new ExpressionError(
            `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${type}`,
          );
        }
        actions[clause === 'ADD' ? 'add' : 'delete'].push({ path, value });
      }
    } while (parser.punct(','));
  }
  checkOverlap(
    [
      ...actions.set.map((a) => a.path),
      ...actions.remove,
      ...actions.add.map((a) => a.path),
      ...actions.delete.map((a) => a.path),
    ],
    'UpdateExpression',
  );
  return actions;
}

function setValue(parser: Parser): SetValue {
  const left = setTerm(parser);
  const op = parser.peek();
  if (op.t === 'punct' && (op.s === '+' || op.s === '-')) {
    parser.next();
    parser.count();
    const right = setTerm(parser);
    for (const side of [left, right]) {
      const type = side.k === 'value' ? typeOf(side.value) : undefined;
      if (type && type !== 'N') {
        throw new ExpressionError(
          `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ${op.s}, operand type: ${type}`,
        );
      }
    }
    return { k: op.s as '+' | '-', left, right };
  }
  return left;
}

function setTerm(parser: Parser): SetValue {
  const token = parser.peek();
  if (token.t === 'name' && parser.peek(1).t === 'punct' && parser.peek(1).s === '(') {
    const fn = token.s;
    if (fn !== 'if_not_exists' && fn !== 'list_append') {
      if (ALL_FUNCTIONS.has(fn))
        throw new ExpressionError(
          `Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: ${fn}`,
        );
      throw new ExpressionError(`Invalid UpdateExpression: Invalid function name; function: ${fn}`);
    }
    parser.next();
    parser.next();
    parser.count();
    if (fn === 'if_not_exists') {
      const path = parser.functionArgument(fn);
      parser.expect(',');
      const fallback = setTerm(parser);
      parser.expect(')');
      return { k: 'if_not_exists', path, fallback };
    }
    const first = setTerm(parser);
    parser.expect(',');
    const second = setTerm(parser);
    parser.expect(')');
    for (const side of [first, second]) {
      if (side.k === 'value' && typeOf(side.value) !== 'L') {
        throw new ExpressionError(
          `Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: ${typeOf(side.value)}`,
        );
      }
    }
    return { k: 'list_append', first, second };
  }
  if (token.t === 'value') {
    parser.next();
    return { k: 'value', value: parser.value(token) };
  }
  return parser.path();
}
