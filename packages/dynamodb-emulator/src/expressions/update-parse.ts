/** Update expressions (SET, REMOVE, ADD, DELETE) parsed with DynamoDB's rules, on the condition parser's tokens. */
import { ALL_FUNCTIONS, ExpressionError, type Placeholders } from './lexer.ts';
import { checkOverlap, Parser, type SetValue, type UpdateActions } from './parse.ts';
import { typeOf } from './values.ts';

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
