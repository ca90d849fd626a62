import type { EventlineConfig } from '@eventline/config/runtime';

/**
 * What the use case reads of the configuration: its routes and its processing limits. Nothing of the
 * local stack, the alarms or the deployment reaches the core; callers pass the whole config, which
 * satisfies this type, and the core cannot come to depend on more without this type saying so.
 */
export type PipelineSettings = Pick<EventlineConfig, 'routes' | 'internalPrefix' | 'files' | 'writes'> & {
  function: Pick<EventlineConfig['function'], 'timeoutSeconds'>;
};
