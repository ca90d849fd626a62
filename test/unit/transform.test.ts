// A route's transform: in process through the use case (normalize, derive, drop, fan out, reject on
// throw, bound an async transform that never settles), carried through the bundle's plain config,
// and refused where its code cannot reach the function.
import {
  attachConfigCode,
  BUNDLED_CONFIG_FILE,
  ConfigError,
  configFileSpecifier,
  type EventlineConfigInput,
  parseConfig,
  plainConfig,
  refuseCodeThatCannotTravel,
  type TransformFunction,
} from '@eventline/config';
import { Pipeline } from '@eventline/core';
import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  MemoryContinuations,
  MemoryDeadLetters,
  MemoryLedger,
  MemoryNotifier,
  MemorySource,
  objectEvent,
} from '../support/memory-ports.ts';

function setup(transform: TransformFunction, config: EventlineConfigInput = {}) {
  const ledger = new MemoryLedger();
  const source = new MemorySource();
  const pipeline = new Pipeline({
    config: parseConfig({
      routes: [
        { id: 'flows', prefix: 'flows/', suffix: '.ndjson', format: 'ndjson', key: 'id', transform },
        { id: 'one', prefix: 'one/', suffix: '.json', format: 'json', transform },
      ],
      ...config,
    }),
    source,
    ledger,
    notifier: new MemoryNotifier(),
    deadLetters: new MemoryDeadLetters(),
    continuations: new MemoryContinuations(),
    clock: new ManualClock(),
  });
  return { ledger, source, pipeline };
}

const payloadOf = (ledger: MemoryLedger, pk: string) => ledger.records.get(pk)?.payload;
/** The rejected records as written to the rejects object. */
const rejectsOf = (source: MemorySource) =>
  [...source.internal.values()].flatMap((body) => body.split('\n').map((line) => JSON.parse(line)));

describe('transform per route', () => {
  it('normalizes, drops, fans out and rejects a record whose transform throws, with its line and message', async () => {
    const seen: unknown[] = [];
    const t = setup((record, context) => {
      seen.push(context);
      if (record.action === 'NOISE') return null;
      if (record.action === 'BAD') throw new Error('no action BAD');
      if (Array.isArray(record.ids)) return record.ids.map((id) => ({ id: String(id), split: true }));
      return {
        id: String(record.id),
        action: String(record.action).toLowerCase(),
        bytes: Number(record.bytes) * 2,
      };
    });
    t.source.put(
      'flows/a.ndjson',
      [
        '{"id":"f1","action":"ACCEPT","bytes":10}',
        '{"id":"f2","action":"NOISE"}',
        '{"id":"f3","action":"BAD"}',
        '{"ids":["x","y"]}',
      ].join('\n'),
    );

    const outcome = await t.pipeline.processObject(objectEvent(t.source, 'flows/a.ndjson'));

    expect(outcome).toMatchObject({ status: 'processed', counts: { read: 4, written: 3, rejected: 1 } });
    expect(payloadOf(t.ledger, 'f1')).toEqual({
      M: { id: { S: 'f1' }, action: { S: 'accept' }, bytes: { N: '20' } },
    });
    expect([...t.ledger.records.keys()].sort()).toEqual(['f1', 'x', 'y']);
    expect(seen[0]).toEqual({ bucket: 'b', key: 'flows/a.ndjson', line: 1, index: 0 });
    expect(rejectsOf(t.source)[0]).toMatchObject({
      code: 'transform-failed',
      position: { line: 3, index: 2 },
      reason: 'flows/a.ndjson: line 3, record 2: the transform failed: no action BAD',
    });
  });

  it('rejects a result that is not a record, naming what came back', async () => {
    const t = setup(() => 'text' as unknown as null);
    t.source.put('flows/b.ndjson', '{"id":"1"}\n');

    const outcome = await t.pipeline.processObject(objectEvent(t.source, 'flows/b.ndjson'));

    expect(outcome).toMatchObject({ counts: { read: 1, written: 0, rejected: 1 } });
    expect(rejectsOf(t.source)[0]?.reason).toMatch(
      /the transform returned string; expected an object, a list of objects, or null$/,
    );
  });

  it('gives each of several records made from one JSON file its own fallback key', async () => {
    const t = setup((record) => [{ n: 1, of: record.name }, { n: 2 }]);
    t.source.put('one/x.json', '{"name":"pair"}');

    await t.pipeline.processObject(objectEvent(t.source, 'one/x.json'));

    expect([...t.ledger.records.keys()].sort()).toEqual(['one/x.json#1', 'one/x.json#2']);
  });

  it('bounds an async transform that never settles by the function timeout, rejecting that record', async () => {
    const t = setup((record) => (record.id === 'hang' ? new Promise(() => {}) : Promise.resolve(record)), {
      function: { timeoutSeconds: 1 },
    });
    t.source.put('flows/c.ndjson', '{"id":"hang"}\n{"id":"ok"}\n');

    const outcome = await t.pipeline.processObject(objectEvent(t.source, 'flows/c.ndjson'));

    expect(outcome).toMatchObject({ counts: { read: 2, written: 1, rejected: 1 } });
    expect(rejectsOf(t.source)[0]).toMatchObject({
      code: 'transform-timeout',
      position: { line: 1 },
    });
  });
});

describe('transform in the bundle', () => {
  it('travels as code: null in the bundled data, taken back from the config module by route position', () => {
    const transform: TransformFunction = (record) => record;
    const input = {
      routes: [
        { id: 'a', prefix: 'a/', transform },
        { id: 'b', prefix: 'b/' },
      ],
    };
    const { data, hasCode } = plainConfig(parseConfig(input));
    const json = JSON.parse(JSON.stringify(data));

    expect(hasCode).toBe(true);
    expect(json.routes[0].transform).toBeNull();
    expect(attachConfigCode(json, input).routes[0]?.transform).toBe(transform);
    expect(() => attachConfigCode(json, { routes: [{ id: 'a', prefix: 'a/' }] })).toThrow(
      /routes\.0\.transform: was a function at synth, is now undefined/,
    );
  });

  it('is refused where a bundle is made from a config that holds code but names no file to import it from', () => {
    const config = parseConfig({ routes: [{ prefix: 'a/', transform: (r: Record<string, unknown>) => r }] });

    expect(() => refuseCodeThatCannotTravel(config, undefined)).toThrow(ConfigError);
    expect(() => refuseCodeThatCannotTravel(config, undefined)).toThrow(
      /^routes\.0\.transform is code, which reaches the function only by importing the file the config was read from/,
    );
    expect(() => refuseCodeThatCannotTravel(config, 'examples/x/eventline.config.ts')).not.toThrow();
    expect(() => refuseCodeThatCannotTravel(parseConfig({}), undefined)).not.toThrow();
  });

  it('is imported by the bundle from the file the config was read from, relative to the Lambda entry', () => {
    expect(configFileSpecifier()).toBe('../../../eventline.config.ts');
    expect(configFileSpecifier('examples/iot/eventline.config.ts')).toBe(
      '../../../examples/iot/eventline.config.ts',
    );
    expect(
      configFileSpecifier(BUNDLED_CONFIG_FILE.replace('eventline.config.ts', 'packages/lambda/src/x.ts')),
    ).toBe('./x.ts');
  });
});
