/**
 * The face `@eventline/config/runtime`: what code inside the Lambda bundle may use of the config, without
 * the schema's validators (zod): the config's types, `ConfigError`, the names and queue settings derived
 * from a config, and the bundle-time config (`attachConfigCode`).
 */
export * from './bucket.ts';
export * from './bundled.ts';
export * from './concurrency.ts';
export * from './errors.ts';
export type * from './log-options.ts';
export * from './names.ts';
export * from './queues.ts';
export * from './runtime-names.ts';
export type * from './schema.ts';
export * from './timing.ts';
export * from './watchdog.ts';
