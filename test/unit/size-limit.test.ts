import { parseConfig } from '@eventline/config';
import { Pipeline } from '@eventline/core';
import { describe, expect, it } from 'vitest';
import {
  MemoryDeadLetters,
  MemoryLedger,
  MemoryNotifier,
  MemorySource,
  objectEvent,
} from '../support/memory-ports.ts';

/** A file over its route's size limit fails naming the setting that raises it (issue 23, small ones). */

function pipelineWith(route: Record<string, unknown>) {
  const source = new MemorySource();
  const ledger = new MemoryLedger();
  const pipeline = new Pipeline({
    config: parseConfig({ routes: [route] }),
    source,
    ledger,
    notifier: new MemoryNotifier(),
    deadLetters: new MemoryDeadLetters(),
  });
  return { source, ledger, pipeline };
}

describe('the size limit of a route', () => {
  it('the default 10 MiB json limit names maxFileBytes and the streamed formats', async () => {
    const t = pipelineWith({ id: 'orders', prefix: 'incoming/', suffix: '.json', format: 'json' });
    t.source.put('incoming/big.json', '{"id":"big"}');
    await t.pipeline.processObject(objectEvent(t.source, 'incoming/big.json', { size: 11 * 1024 * 1024 }));
    const state = t.ledger.files.get('b/incoming/big.json');
    expect(state?.error?.code).toBe('too-large');
    expect(state?.error?.message).toBe(
      'incoming/big.json: 11534336 bytes is over the default limit of 10485760 bytes for format json (a json file is read whole): raise it with maxFileBytes on route "orders", or send large files as json-array or ndjson, which are streamed',
    );
  });

  it('a limit set on the route is named as that setting', async () => {
    const t = pipelineWith({ id: 'small', prefix: 'incoming/', suffix: '.json', maxFileBytes: 8 });
    t.source.put('incoming/nine.json', '{"id":"9"}');
    await t.pipeline.processObject(objectEvent(t.source, 'incoming/nine.json'));
    expect(t.ledger.files.get('b/incoming/nine.json')?.error?.message).toContain(
      'over the limit of 8 bytes (maxFileBytes of route "small")',
    );
  });
});
