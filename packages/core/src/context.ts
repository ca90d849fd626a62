import type { DigestWindows } from './digest-windows.ts';
import type {
  Clock,
  DeadLetterQueue,
  DigestScheduler,
  Ledger,
  Logger,
  Metrics,
  Notifier,
  ObjectSource,
} from './ports.ts';
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
  /** Digest routes' windows (this container's cache) and how their closes are sent. */
  digests?: { windows: DigestWindows; scheduler: DigestScheduler };
  /** Waits between retries (the simulator's clock passes instead of real time). */
  sleep: (ms: number) => Promise<void>;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();
