import { type RouteInput, routeSchema } from '@eventline/config';
import type { ObjectEvent } from '@eventline/core';
import {
  expiresAt,
  FILE_KEY_PREFIX,
  fileKey,
  ITEM,
  itemKeyOf,
  MAX_KEY_BYTES,
  originOf,
  RecordError,
  recordAttributes,
  recordKey,
  sourceOf,
} from '@eventline/core';
import type { DecodedRecord } from '@eventline/core/formats';
import { LosslessNumber } from 'lossless-json';
import { describe, expect, it } from 'vitest';

// biome-ignore lint/suspicious/noTemplateCurlyInString: the route's key template syntax, not a JS template
const DEVICE_TS = '${deviceId}#${ts}';

const route = (input: RouteInput = {}) =>
  routeSchema.parse({ format: 'ndjson', suffix: '.ndjson', ...input });
const record = (
  value: unknown,
  position: DecodedRecord['position'] = { line: 7, index: 4 },
): DecodedRecord => ({
  value,
  position,
});

function keyError(fn: () => unknown): RecordError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RecordError) return error;
    throw error;
  }
  throw new Error('expected a RecordError');
}

describe('recordKey', () => {
  it('takes the key field (default "id"), numbers as their exact text', () => {
    expect(recordKey(route(), 'f.ndjson', record({ id: 'dev-1' }), true)).toBe('dev-1');
    expect(
      recordKey(route(), 'f.ndjson', record({ id: new LosslessNumber('12345678901234567890') }), true),
    ).toBe('12345678901234567890');
    expect(recordKey(route({ key: 'deviceId' }), 'f', record({ deviceId: 42 }), true)).toBe('42');
  });

  it('follows a dotted path into nested objects', () => {
    expect(recordKey(route({ key: 'meta.ref' }), 'f', record({ meta: { ref: 'R-9' } }), true)).toBe('R-9');
  });

  it('fills a template of fields', () => {
    const r = route({ key: DEVICE_TS });

    expect(recordKey(r, 'f', record({ deviceId: 'd1', ts: new LosslessNumber('1700000000001') }), true)).toBe(
      'd1#1700000000001',
    );
  });

  it('rejects a record missing a template field, naming the field', () => {
    const error = keyError(() => recordKey(route({ key: DEVICE_TS }), 'f', record({ deviceId: 'd' }), true));

    expect(error.code).toBe('missing-key');
    expect(error.position).toEqual({ line: 7, index: 4, field: 'ts' });
  });

  it('calls a key function with the record and its place in the file', () => {
    const seen: unknown[] = [];
    const r = route({
      key: (fields, context) => {
        seen.push(context);
        return `${String(fields.kind)}/${context.position}`;
      },
    });

    expect(recordKey(r, 'in/f.ndjson', record({ kind: 'order' }), true)).toBe('order/7');
    expect(seen).toEqual([{ key: 'in/f.ndjson', position: 7 }]);
  });

  it('rejects the record when the key function throws or returns something unusable', () => {
    const throwing = route({
      key: () => {
        throw new TypeError('boom');
      },
    });

    expect(keyError(() => recordKey(throwing, 'f', record({}), true)).message).toContain(
      'the key function failed: boom',
    );
    expect(keyError(() => recordKey(route({ key: () => '' }), 'f', record({}), true)).code).toBe('bad-key');
    expect(
      keyError(() => recordKey(route({ key: () => ({}) as unknown as string }), 'f', record({}), true)).code,
    ).toBe('bad-key');
  });

  it('falls back to <object key>#<line> in multi-record files, <object key>#<index + 1> without lines', () => {
    expect(recordKey(route(), 'in/f.ndjson', record({ other: 1 }), true)).toBe('in/f.ndjson#7');
    expect(recordKey(route(), 'in/a.json', record({ other: 1 }, { index: 0 }), true)).toBe('in/a.json#1');
    expect(recordKey(route({ key: () => undefined as unknown as string }), 'k', record({}), true)).toBe(
      'k#7',
    );
  });

  it('falls back to the object key for a single-object file, as the seed does', () => {
    expect(
      recordKey(route({ format: 'json' }), 'incoming/a.json', record({ x: 1 }, { line: 1 }), false),
    ).toBe('incoming/a.json');
  });

  it('refuses keys that are empty, not text, too long or in the reserved file-item prefix', () => {
    expect(keyError(() => recordKey(route(), 'f', record({ id: '' }), true)).code).toBe('bad-key');
    expect(keyError(() => recordKey(route(), 'f', record({ id: ['a'] }), true)).message).toContain(
      'an array',
    );
    expect(keyError(() => recordKey(route(), 'f', record({ id: { a: 1 } }), true)).code).toBe('bad-key');
    expect(keyError(() => recordKey(route(), 'f', record({ id: true }), true)).code).toBe('bad-key');
    expect(
      keyError(() => recordKey(route(), 'f', record({ id: 'x'.repeat(MAX_KEY_BYTES + 1) }), true)).code,
    ).toBe('bad-key');
    expect(recordKey(route(), 'f', record({ id: 'é'.repeat(MAX_KEY_BYTES / 2) }), true)).toHaveLength(
      MAX_KEY_BYTES / 2,
    );
    expect(
      keyError(() => recordKey(route(), 'f', record({ id: `${FILE_KEY_PREFIX}bucket/k` }), true)).message,
    ).toContain('reserved');
    expect(keyError(() => recordKey(route(), `${FILE_KEY_PREFIX}x`, record({}), true)).code).toBe('bad-key');
  });

  it('refuses a record that is not a JSON object', () => {
    for (const value of [null, 'text', new LosslessNumber('1'), [1, 2]]) {
      expect(keyError(() => recordKey(route(), 'f', record(value), true)).code).toBe('not-an-object');
    }
  });
});

describe('item attributes', () => {
  const event: ObjectEvent = {
    bucket: 'b',
    key: 'incoming/r.ndjson',
    eTag: 'e1',
    size: 10,
    sequencer: '0A1',
    eventTime: '2026-01-01T00:00:00.000Z',
    eventName: 'ObjectCreated:Put',
    origin: 's3',
  };

  it('keeps the key, payload, source object version and position of the record', () => {
    const attributes = recordAttributes({
      pk: 'dev-1',
      payload: { id: 'dev-1' },
      event,
      route: route({ id: 'iot' }),
      record: record({ id: 'dev-1' }, { line: 3, index: 2 }),
      processedAt: '2026-01-01T00:00:01.000Z',
    });

    expect(attributes).toMatchObject({
      pk: 'dev-1',
      kind: 'record',
      payload: { id: 'dev-1' },
      origin: 'b/incoming/r.ndjson',
      route: 'iot',
      line: 3,
      index: 2,
      processedAt: '2026-01-01T00:00:01.000Z',
      source: sourceOf(event),
    });
    expect(sourceOf(event)).toMatchObject({
      bucket: 'b',
      key: 'incoming/r.ndjson',
      eTag: 'e1',
      sequencer: '0A1',
    });
  });

  it('gives readers the names the items are written with', () => {
    // Prepare
    const attributes = recordAttributes({
      pk: 'dev-1',
      payload: {},
      event,
      route: route(),
      record: record({}),
      processedAt: '2026-01-01T00:00:01.000Z',
    });

    // Act
    const resumeAfter = itemKeyOf(attributes);

    // Assess: a reader filtering by ITEM names and originOf finds what the writer wrote
    expect(attributes[ITEM.key]).toBe('dev-1');
    expect(attributes[ITEM.kind]).toBe('record');
    expect(attributes[ITEM.origin]).toBe(originOf(event.bucket, event.key));
    expect(resumeAfter).toEqual({ pk: 'dev-1' });
  });

  it('names file items under the reserved prefix', () => {
    expect(fileKey('b', 'incoming/a.json')).toBe(`${FILE_KEY_PREFIX}b/incoming/a.json`);
  });
});

describe('expiresAt (ledger.ttlDays)', () => {
  it('is ttlDays after the write, in whole epoch seconds', () => {
    const at = Date.parse('2026-03-01T00:00:00.999Z');
    expect(expiresAt(30, at)).toBe(Math.floor(at / 1000) + 30 * 86_400);
    expect(expiresAt(1, 0)).toBe(86_400);
  });

  it('is undefined when no ttlDays is configured', () => {
    expect(expiresAt(undefined, Date.now())).toBeUndefined();
  });
});
