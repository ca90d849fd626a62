import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.ts';
import type { EventlineConfig } from './schema.ts';

/**
 * Code in a config (key functions, schemas, transforms) reaches the function by import: the Lambda
 * entry (packages/lambda/src/index.ts) imports the repository's `eventline.config.ts`, and esbuild
 * bundles it with everything it imports. A config read from another file cannot send its code
 * that way: the function would run `eventline.config.ts`'s code behind the other file's routes.
 * So such a config is refused where a bundle is made from it (the local stack's start, the CDK
 * synth), naming each setting that holds code.
 */
export const BUNDLED_CONFIG_FILE = fileURLToPath(new URL('../../../eventline.config.ts', import.meta.url));

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

/** Throws when `configPath` is not the bundled config file and its config holds code. */
export function refuseCodeThatCannotTravel(configPath: string, config: EventlineConfig): void {
  if (resolve(configPath) === BUNDLED_CONFIG_FILE) return;
  const settings = codeSettings(config);
  if (settings.length === 0) return;
  throw new ConfigError(
    `${configPath}: ${settings.join(', ')} ${settings.length === 1 ? 'is' : 'are'} code, which reaches the function only from eventline.config.ts (the file the Lambda bundle imports); copy this config to eventline.config.ts, or make those settings data (a key field or template)`,
    { problems: settings.map((setting) => ({ setting, message: 'code outside eventline.config.ts' })) },
  );
}
