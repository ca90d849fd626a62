/**
 * Where `actual` differs from the matcher `expected`, as readable paths; empty when it matches.
 * Objects match when every named member matches (others may be present), arrays element by element
 * with the same length, anything else by `Object.is`. Special objects: `{ $absent: true }` (no
 * value), `{ $present: true }` (any value), `{ $in: [...] }` (one of them), `{ $re: 'regex' }`
 * (a string matching it), `{ $len: n }` (an array of n).
 */
export function mismatches(expected: unknown, actual: unknown, path = '$'): string[] {
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    const special = expected as Record<string, unknown>;
    if ('$absent' in special)
      return actual === undefined ? [] : [`${path}: expected absent, got ${show(actual)}`];
    if ('$present' in special) return actual === undefined ? [`${path}: expected a value, got nothing`] : [];
    if ('$in' in special) {
      return (special.$in as unknown[]).includes(actual)
        ? []
        : [`${path}: expected one of ${show(special.$in)}, got ${show(actual)}`];
    }
    if ('$re' in special) {
      return typeof actual === 'string' && new RegExp(String(special.$re)).test(actual)
        ? []
        : [`${path}: expected a string matching /${String(special.$re)}/, got ${show(actual)}`];
    }
    if ('$len' in special) {
      return Array.isArray(actual) && actual.length === special.$len
        ? []
        : [`${path}: expected an array of ${String(special.$len)}, got ${show(actual)}`];
    }
    if (!actual || typeof actual !== 'object' || Array.isArray(actual))
      return [`${path}: expected an object, got ${show(actual)}`];
    return Object.entries(special).flatMap(([name, value]) =>
      mismatches(value, (actual as Record<string, unknown>)[name], `${path}.${name}`),
    );
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return [`${path}: expected ${expected.length} elements, got ${show(actual)}`];
    }
    return expected.flatMap((value, i) => mismatches(value, actual[i], `${path}[${i}]`));
  }
  return Object.is(expected, actual) ? [] : [`${path}: expected ${show(expected)}, got ${show(actual)}`];
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? 'nothing' : text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
