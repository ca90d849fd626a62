import { ConfigError } from './errors.ts';
import type { EventlineConfig, EventlineConfigInput, Route } from './schema.ts';
import { configFileSpecifier } from './travel.ts';

/**
 * The configuration as the Lambda bundle carries it. The CDK app (and the bench) validate
 * eventline.config.ts with zod at synth time and hand the result to esbuild as `define`d constants:
 * the function starts with plain data, no zod in its bundle and no validation work at init.
 *
 * Key functions, record schemas and transforms are code, not data: where a route has one, its place in the data
 * holds `null` and `EVENTLINE_CONFIG_HAS_CODE` is true, so the handler imports the config file
 * (`EVENTLINE_CONFIG_FILE`: the file the config was read from) and takes the code from there
 * (`attachConfigCode`). This module imports no zod.
 */
export const CONFIG_CONSTANT = 'EVENTLINE_CONFIG';
export const CONFIG_HAS_CODE_CONSTANT = 'EVENTLINE_CONFIG_HAS_CODE';
export const CONFIG_FILE_CONSTANT = 'EVENTLINE_CONFIG_FILE';

/** The config as plain data, and whether some of it (key functions, schemas) stayed behind as code. */
export function plainConfig(config: EventlineConfig): { data: EventlineConfig; hasCode: boolean } {
  let hasCode = false;
  const routes = config.routes.map((route) => {
    const plain: Route = { ...route };
    if (typeof route.key === 'function') {
      plain.key = null as unknown as Route['key'];
      hasCode = true;
    }
    if (route.schema) {
      plain.schema = null as unknown as Route['schema'];
      hasCode = true;
    }
    if (route.transform) {
      plain.transform = null as unknown as Route['transform'];
      hasCode = true;
    }
    return plain;
  });
  // The local stack's settings stay out of the deployed code, its key pair above all.
  const local = { ...config.local, accessKeyId: '', secretAccessKey: '' };
  delete local.smtp;
  return { data: { ...config, routes, local }, hasCode };
}

/**
 * The esbuild `define` map that carries a validated config into the Lambda bundle, says which
 * streamed decoders its routes need (src/core/formats/index.ts): the others are not bundled, and which
 * file the bundle imports the config's code from: `configFile`, the file `config` was read from
 * (default: the repository's eventline.config.ts).
 */
export function configDefines(config: EventlineConfig, configFile?: string): Record<string, string> {
  const { data, hasCode } = plainConfig(config);
  const uses = (format: Route['format']) => String(config.routes.some((route) => route.format === format));
  return {
    [CONFIG_CONSTANT]: JSON.stringify(data),
    [CONFIG_HAS_CODE_CONSTANT]: String(hasCode),
    [CONFIG_FILE_CONSTANT]: JSON.stringify(configFileSpecifier(configFile)),
    EVENTLINE_FORMAT_CSV: uses('csv'),
    EVENTLINE_FORMAT_JSON_ARRAY: String(uses('json-array') === 'true' || uses('cloudtrail') === 'true'),
    EVENTLINE_FORMAT_LOG: uses('log'),
    EVENTLINE_FORMAT_OBJECT: uses('object'),
    EVENTLINE_FORMAT_PARQUET: uses('parquet'),
  };
}

/**
 * Puts the code back: each route's key function and schema from the config module, by position.
 * The module is the one validated at synth (same file, same routes), so only the shapes are checked.
 */
export function attachConfigCode(
  data: EventlineConfig,
  module: EventlineConfigInput | undefined,
  origin = 'eventline.config.ts',
): EventlineConfig {
  const routes = data.routes.map((route, i) => {
    const source = module?.routes?.[i];
    const withCode: Route = { ...route };
    if (route.key === null) {
      if (typeof source?.key !== 'function') {
        throw new ConfigError(
          `${origin}: routes.${i}.key: was a function at synth, is now ${typeof source?.key}; synthesize again`,
          { problems: [{ setting: `routes.${i}.key`, message: 'a function, as at synth' }] },
        );
      }
      withCode.key = source.key;
    }
    if (route.schema === null) {
      if (!source?.schema) {
        throw new ConfigError(
          `${origin}: routes.${i}.schema: was set at synth, is now missing; synthesize again`,
          { problems: [{ setting: `routes.${i}.schema`, message: 'a schema, as at synth' }] },
        );
      }
      withCode.schema = source.schema;
    }
    if (route.transform === null) {
      if (typeof source?.transform !== 'function') {
        throw new ConfigError(
          `${origin}: routes.${i}.transform: was a function at synth, is now ${typeof source?.transform}; synthesize again`,
          { problems: [{ setting: `routes.${i}.transform`, message: 'a function, as at synth' }] },
        );
      }
      withCode.transform = source.transform;
    }
    return withCode;
  });
  return { ...data, routes };
}
