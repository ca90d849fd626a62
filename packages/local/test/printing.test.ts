import { parseConfig } from '@eventline/config';
import type { Outcome } from '@eventline/core';
import { describe, expect, it } from 'vitest';
import { describeOutcome, stackBanner } from '../src/printing.ts';
import type { StackQueues } from '../src/queues.ts';

/** The banner `npm start` prints: its "try it" lines work for the config the stack runs. */
const queue = (name: string) => ({
  name,
  url: `http://127.0.0.1:4566/000000000000/${name}`,
  arn: `arn:${name}`,
});
const queues = {
  eventDeadLetters: queue('eventline-events-dlq'),
  deadLetters: queue('eventline-dlq'),
} satisfies StackQueues;
const banner = (config: unknown) =>
  stackBanner({
    url: 'http://127.0.0.1:4566',
    config: parseConfig(config),
    topicArn: 'arn:aws:sns:us-east-1:000000000000:events-notify',
    dataDir: '.eventline',
    queues,
    env: {},
  });

describe('the banner of the local stack', () => {
  it('with the default route: a JSON order, then its record by its id', () => {
    const text = banner({});
    expect(text).toContain(`echo '{"id":"order-1","total":42.50}' > order.json`);
    expect(text).toContain('aws s3 cp order.json s3://eventline-local/incoming/order.json');
    expect(text).toContain(`aws dynamodb get-item --table-name events --key '{"pk":{"S":"order-1"}}'`);
  });

  it('never tells to upload JSON as a Parquet file (examples/iot), nor to look the record up by an id the route does not key by', () => {
    const text = banner({
      routes: [
        {
          id: 'readings',
          prefix: 'iot/readings/',
          suffix: '.parquet',
          format: 'parquet',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the route's key template syntax
          key: '${device_id}#${ts}',
        },
      ],
    });
    expect(text).not.toContain('order.parquet');
    expect(text).not.toContain('get-item');
    expect(text).toContain('s3://eventline-local/iot/readings/');
    expect(text).toMatch(/a parquet file/);
  });

  it('an object route (examples/uploads) takes any file: "<any file>", not "<a object file>"', () => {
    const text = banner({ routes: [{ id: 'uploads', prefix: 'uploads/', suffix: '', format: 'object' }] });
    expect(text).toContain('aws s3 cp <any file> s3://eventline-local/uploads/<name>');
    expect(text).not.toContain('a object');
  });

  it('a JSON route keyed by another field: the order carries that field, and its record is looked up', () => {
    const text = banner({ routes: [{ id: 'o', prefix: 'orders/', key: 'orderId' }] });
    expect(text).toContain(`echo '{"orderId":"order-1","total":42.50}' > order.json`);
    expect(text).toContain('aws s3 cp order.json s3://eventline-local/orders/order.json');
    expect(text).toContain(`aws dynamodb get-item --table-name events --key '{"pk":{"S":"order-1"}}'`);
  });

  it('a key template: the upload, without a get-item of a key it will not have', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the route's key template syntax
    const text = banner({ routes: [{ id: 'o', prefix: 'orders/', key: '${customer}#${id}' }] });
    expect(text).toContain('aws s3 cp order.json s3://eventline-local/orders/order.json');
    expect(text).not.toContain('get-item');
  });

  it("a route with a schema (examples/orders): no made-up order its schema would reject; the recipe's README named", async () => {
    const { loadConfig } = await import('@eventline/config');
    const config = await loadConfig('examples/orders/eventline.config.ts');
    const text = stackBanner({
      url: 'http://127.0.0.1:4566',
      config,
      topicArn: 'arn:aws:sns:us-east-1:000000000000:events-notify',
      dataDir: '.eventline',
      queues,
      env: {},
      configFile: 'examples/orders/eventline.config.ts',
    });
    expect(text).not.toContain('order.json');
    expect(text).toMatch(
      /aws s3 cp <a json file route "orders"'s schema accepts> s3:\/\/eventline-local\/orders\/<name>\.json/,
    );
    expect(text).toContain('examples/orders/README.md');
  });
});

describe("a file's line", () => {
  const processed = {
    status: 'processed',
    bucket: 'eventline-local',
    key: 'iot/readings/a.parquet',
    route: 'readings',
    counts: { read: 2375, written: 2375, rejected: 0, duplicates: 0, bytes: 0 },
    notification: { status: 'NOT_NEEDED' },
  } as unknown as Outcome;

  it("of a digest route says the file goes in the route's digest, not that it sends no notification", () => {
    const line = describeOutcome(processed, () => ({
      digest: { everySeconds: 60, maxFiles: 1000, failuresImmediately: true },
    }));
    expect(line).toMatch(/→ 2375 records → in the route's digest \(one summary every 60 s\)$/);
  });

  it('of a route that notifies nothing says so', () => {
    expect(describeOutcome(processed, () => 'none')).toMatch(
      /→ 2375 records → no notification \(the route's notify policy\)$/,
    );
  });
});
