import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './errors.ts';
import { configSchema, type EventlineConfig } from './schema.ts';

/**
 * The face of @eventline/config: `defineConfig`, the schema and its validation (`parseConfig`,
 * `loadConfig`), the names and queue settings derived from a config, and the config as bundle-time data.
 * Code that runs inside the Lambda bundle imports `@eventline/config/runtime` instead, which leaves zod out.
 */
export * from './attempts.ts';
export * from './bucket.ts';
export * from './bundled.ts';
export * from './concurrency.ts';
export * from './define.ts';
export * from './errors.ts';
export * from './log-options.ts';
export * from './names.ts';
export * from './queues.ts';
export * from './route-checks.ts';
export * from './runtime-names.ts';
export * from './schema.ts';
export * from './timing.ts';
export * from './travel.ts';
export * from './watchdog.ts';

/** Validates a config object; the error lists every wrong setting by its path and what was expected. */
export function parseConfig(input: unknown, origin = 'eventline.config.ts'): EventlineConfig {
  const result = configSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return { setting: path, message: issue.message };
  });
  throw new ConfigError(
    `${origin}: invalid configuration:\n${problems.map((p) => `  - ${p.setting}: ${p.message}`).join('\n')}`,
    { problems },
  );
}

/** Loads and validates a config file (TypeScript through tsx, or JavaScript). */
export async function loadConfig(path = 'eventline.config.ts'): Promise<EventlineConfig> {
  const file = resolve(path);
  try {
    await access(file);
  } catch (error) {
    throw new ConfigError(`${path}: config file not found (looked at ${file})`, {
      problems: [],
      cause: error,
    });
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    // A misspelled import (`defineConfg`), a syntax error, a throw while the file runs: named with the file.
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${path}: the config file failed to load: ${message}`, {
      problems: [{ setting: '(file)', message }],
      cause: error,
    });
  }
  if (module.default === undefined) {
    const names = Object.keys(module);
    throw new ConfigError(
      `${path}: no default export (it exports${names.length > 0 ? `: ${names.join(', ')}` : ' nothing'}); write \`export default defineConfig({ ... })\``,
      { problems: [{ setting: '(default export)', message: 'export default defineConfig({ ... })' }] },
    );
  }
  return parseConfig(module.default, path);
}
