/** The differential test's generator of update expressions (SET with arithmetic and functions, REMOVE, ADD, DELETE). */
import fc from 'fast-check';
import type { Placeholders, Value } from './generator.ts';

export type Update =
  | {
      k: 'set';
      p: string;
      r: 'val' | 'plus' | 'minus' | 'ifne' | 'append' | 'prepend' | 'path';
      v: Value;
      q: string;
    }
  | { k: 'remove'; p: string }
  | { k: 'add' | 'delete'; p: string; v: Value };

/** Update actions on `path`s with `value`s (arbitraries passed in: generator.ts owns them). */
export const updateActionArb = (
  path: fc.Arbitrary<string>,
  value: fc.Arbitrary<Value>,
): fc.Arbitrary<Update> =>
  fc.oneof(
    {
      arbitrary: fc
        .record({
          p: path,
          r: fc.constantFrom('val', 'val', 'plus', 'minus', 'ifne', 'append', 'prepend', 'path'),
          v: value,
          q: path,
        })
        .map((x) => ({ k: 'set', ...x }) as Update),
      weight: 5,
    },
    { arbitrary: path.map((p) => ({ k: 'remove', p }) as Update), weight: 2 },
    { arbitrary: fc.record({ p: path, v: value }).map((x) => ({ k: 'add', ...x }) as Update), weight: 2 },
    { arbitrary: fc.record({ p: path, v: value }).map((x) => ({ k: 'delete', ...x }) as Update), weight: 1 },
  );

export function renderUpdate(actions: Update[], ph: Placeholders): string {
  const sets: string[] = [];
  const removes: string[] = [];
  const adds: string[] = [];
  const deletes: string[] = [];
  for (const u of actions) {
    if (u.k === 'remove') removes.push(ph.path(u.p));
    else if (u.k === 'add') adds.push(`${ph.path(u.p)} ${ph.value(u.v)}`);
    else if (u.k === 'delete') deletes.push(`${ph.path(u.p)} ${ph.value(u.v)}`);
    else if (u.k === 'set') {
      const p = ph.path(u.p);
      const q = ph.path(u.q);
      const right = {
        val: () => ph.value(u.v),
        plus: () => `${q} + ${ph.value(u.v)}`,
        minus: () => `${q} - ${ph.value(u.v)}`,
        ifne: () => `if_not_exists(${q}, ${ph.value(u.v)})`,
        append: () => `list_append(${q}, ${ph.value(u.v)})`,
        prepend: () => `list_append(${ph.value(u.v)}, ${q})`,
        path: () => q,
      }[u.r]();
      sets.push(`${p} = ${right}`);
    }
  }
  return [
    sets.length ? `SET ${sets.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
    adds.length ? `ADD ${adds.join(', ')}` : '',
    deletes.length ? `DELETE ${deletes.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
