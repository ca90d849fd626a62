import {
  attachConfigCode,
  CONFIG_CONSTANT,
  CONFIG_HAS_CODE_CONSTANT,
  ConfigError,
  configDefines,
  parseConfig,
  plainConfig,
} from '@eventline/config';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';

// biome-ignore lint/suspicious/noTemplateCurlyInString: the route's key template syntax, not a JS template
const TEMPLATE = '${deviceId}#${ts}';

describe('the config carried into the Lambda bundle', () => {
  it('is the validated config as JSON, with defaults filled in and no local key pair', () => {
    const config = parseConfig({ local: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' } });
    const defines = configDefines(config);
    expect(defines[CONFIG_HAS_CODE_CONSTANT]).toBe('false');
    const data = JSON.parse(defines[CONFIG_CONSTANT]!);
    expect(data.routes[0]).toMatchObject({ id: 'default', prefix: 'incoming/', format: 'json', key: 'id' });
    expect(data.writes).toEqual({ parallelism: 4, deadlineMs: 30_000 });
    expect(defines[CONFIG_CONSTANT]).not.toContain('local-secret');
    expect(defines[CONFIG_CONSTANT]).not.toContain('AKIDLOCAL');
  });

  it('keeps a template key as text (no shell or template expansion on the way)', () => {
    const config = parseConfig({
      routes: [{ suffix: '.jsonl', format: 'ndjson', key: TEMPLATE }],
    });
    const data = JSON.parse(configDefines(config)[CONFIG_CONSTANT]!);
    expect(data.routes[0].key).toBe(TEMPLATE);
  });

  it('leaves key functions and schemas as code, taken back from the config module by route position', () => {
    const key = (record: Readonly<Record<string, unknown>>) => String(record.sku);
    const schema = z.object({ sku: z.string() });
    const input = {
      routes: [
        { id: 'a', prefix: 'a/', key },
        { id: 'b', prefix: 'b/', schema },
        { id: 'c', prefix: 'c/' },
      ],
    };
    const { data, hasCode } = plainConfig(parseConfig(input));
    expect(hasCode).toBe(true);
    const json = JSON.parse(JSON.stringify(data));
    expect(json.routes.map((r: { key: unknown }) => r.key)).toEqual([null, 'id', 'id']);
    expect(json.routes[1].schema).toBeNull();
    const attached = attachConfigCode(json, input);
    expect(attached.routes[0]?.key).toBe(key);
    expect(attached.routes[1]?.schema).toBe(schema);
    expect(attached.routes[2]).toEqual(json.routes[2]);
  });

  it('names the route when the config module no longer has the code the synth saw', () => {
    const input = { routes: [{ id: 'a', key: (r: Readonly<Record<string, unknown>>) => String(r.id) }] };
    const json = JSON.parse(JSON.stringify(plainConfig(parseConfig(input)).data));
    expect(() => attachConfigCode(json, { routes: [{ id: 'a', key: 'id' }] })).toThrow(ConfigError);
    expect(() => attachConfigCode(json, { routes: [{ id: 'a', key: 'id' }] })).toThrow(/routes\.0\.key/);
  });
});
