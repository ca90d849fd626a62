import type { EventlineConfig } from '@eventline/config/schema.ts';
import type { Clock, DeadLetterQueue, Ledger, Logger, Metrics, Notifier, ObjectSource } from './ports.ts';

/** What the parts of the processing use case share: the ports, and the settings they read. */
export interface UseCaseContext {
  config: EventlineConfig;
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
