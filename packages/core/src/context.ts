import type { Clock, DeadLetterQueue, Ledger, Logger, Metrics, Notifier, ObjectSource } from './ports.ts';
import type { PipelineSettings } from './settings.ts';

/** What the parts of the processing use case share: the ports, and the settings they read. */
export interface UseCaseContext {
  config: PipelineSettings;
  source: ObjectSource;
  ledger: Ledger;
  notifier: Notifier;
  deadLetters: DeadLetterQueue;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** How long a claim on a file is honoured before another attempt may take it over. */
  leaseMs: number;
}

export const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();
