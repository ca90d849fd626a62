/**
 * Numbers written with a leading plus sign (`+1`, `+1.5E+2`): DynamoDB takes them as the number
 * without the sign; dynalite refuses them. The request is rewritten before anything reads it.
 */

/** `+` then what starts an unsigned number; `++1`, `+-1` and `+e1` stay (and are refused). */
const PLUS = /^\+(?=[0-9.])/;

function unsign(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = unsign(value[i]);
    return value;
  }
  if (!value || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  for (const [name, inner] of Object.entries(record)) {
    if (name === 'N' && typeof inner === 'string') record.N = inner.replace(PLUS, '');
    else if (name === 'NS' && Array.isArray(inner))
      record.NS = inner.map((n) => (typeof n === 'string' ? n.replace(PLUS, '') : n));
    else unsign(inner);
  }
  return record;
}

/**
 * The request body with every Number's leading `+` dropped. Most bodies hold no string that
 * starts with `+` at all, and are handed back as they are, unparsed.
 */
export function withoutPlusSigns(body: Buffer): Buffer {
  if (body.indexOf('"+') === -1) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return body;
  }
  return Buffer.from(JSON.stringify(unsign(parsed)));
}
