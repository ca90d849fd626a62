import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.ts';
import type { EventlineConfig } from './schema.ts';

/**
 * Code in a config (key functions, schemas, transforms) reaches the function by import: the Lambda
 * entry (packages/lambda/src/index.ts) imports the config file named by the constant
 * `EVENTLINE_CONFIG_FILE` (`configDefines`), and esbuild bundles it with everything it imports. So the
 * file the config was read from (`-c config=examples/iot/eventline.config.ts`, `npm start -- --config …`)
 * brings its own code into the bundle. What cannot travel is code that comes from no file (a config
 * object built in a program and handed to the stack): the function would import some other file's code
 * behind its routes, so that is refused where a bundle is made from it, naming each setting that holds code.
 */
export const BUNDLED_CONFIG_FILE = fileURLToPath(new URL('../../../eventline.config.ts', import.meta.url));

/** The directory of the Lambda entry (packages/lambda/src/index.ts): esbuild resolves its import of the config file from here. */
const ENTRY_DIR = fileURLToPath(new URL('../../lambda/src/', import.meta.url));

/**
 * The specifier the Lambda entry imports `configFile` through: relative to the entry, so that a bundle
 * built where the project root is mounted elsewhere (NodejsFunction's Docker bundling) finds it too.
 */
export function configFileSpecifier(configFile: string = BUNDLED_CONFIG_FILE): string {
  const path = relative(ENTRY_DIR, resolve(configFile)).split(sep).join('/');
  return path.startsWith('../') || isAbsolute(path) ? path : `./${path}`;
}

/** The settings of `config` that hold code, by path (`routes.0.transform`). */
export function codeSettings(config: EventlineConfig): string[] {
  const settings: string[] = [];
  config.routes.forEach((route, i) => {
    if (typeof route.key === 'function') settings.push(`routes.${i}.key`);
    if (route.schema) settings.push(`routes.${i}.schema`);
    if (route.transform) settings.push(`routes.${i}.transform`);
  });
  return settings;
}

/**
 * Throws when `config` holds code but `configFile` (the file it was read from) is not given: the bundle
 * would import eventline.config.ts's code behind this config's routes.
 */
export function refuseCodeThatCannotTravel(config: EventlineConfig, configFile: string | undefined): void {
  if (configFile !== undefined) return;
  const settings = codeSettings(config);
  if (settings.length === 0) return;
  throw new ConfigError(
    `${settings.join(', ')} ${settings.length === 1 ? 'is' : 'are'} code, which reaches the function only by importing the file the config was read from; pass that file (configFile), or make those settings data (a key field or template)`,
    { problems: settings.map((setting) => ({ setting, message: 'code from no config file' })) },
  );
}
