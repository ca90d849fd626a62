import type { EventlineConfigInput } from './schema.ts';

/**
 * Typed identity for `eventline.config.ts`: editors complete and check the settings. It lives apart
 * from the schema (and imports only its types) so that a module importing a config file, such as
 * the Lambda bundle when a route has a key function, does not load zod with it.
 */
export function defineConfig(config: EventlineConfigInput): EventlineConfigInput {
  return config;
}
