import type { EventlineConfig } from '@eventline/config';
import type { Logger } from '@eventline/core';
import type { S3ObjectEvent } from '@eventline/s3-emulator';
import type { ConsoleHandler } from './admin.ts';

/** What `LocalStack.start` takes: the config, and what a test or the CLI changes of the stack's defaults. */
export interface LocalStackOptions {
  config: EventlineConfig;
  /**
   * The file `config` was read from (`npm start -- --config examples/iot/eventline.config.ts`): the
   * function bundle imports its code (key functions, schemas, transforms) from there instead of the
   * repository's eventline.config.ts. Default: eventline.config.ts.
   */
  configFile?: string;
  /** Overrides config.local.dataDir / host / port. */
  dataDir?: string;
  host?: string;
  port?: number;
  /** Where readable one-line messages go (banner, one line per file); silent when absent. */
  print?: (line: string) => void;
  /** The stack's own diagnostics; defaults to nothing beyond `print`. */
  logger?: Logger;
  /** Delays before the 1st and 2nd retry (Lambda: about 60 s and 120 s; locally 1 s and 2 s). */
  retryDelaysMs?: number[];
  /** Endpoints the handler uses, to put a real fault-injecting proxy between it and a service. */
  handlerEndpoints?: { s3?: string; dynamodb?: string; sns?: string };
  sns?: { delivery?: { timeoutMs?: number; retries?: number; retryDelayMs?: number } };
  /** How long a crashed attempt's claim blocks a retry (default: the function timeout + 30 s). */
  leaseMs?: number;
  /** Serves `/_console` (the live web page). */
  consolePage?: ConsoleHandler;
  /** Where TABLE_NAME, BUCKET_NAME, TOPIC_ARN and DLQ_URL are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Where the handler runs. `workers` (the default): function instances as worker processes loading
   * the bundle the CDK app deploys. `in-process`: the handler in this process, for tests that must
   * see or replace `stack.handler` itself.
   */
  functionRuntime?: 'workers' | 'in-process';
  /** Rebuild the function bundle when a source changes (`npm start`). */
  watchFunction?: boolean;
  /**
   * Loses the S3 notifications it selects, as S3 may (tests of backfill and start-up recovery write
   * objects "behind the pipeline's back" this way). The object is stored all the same.
   */
  loseS3Event?: (event: S3ObjectEvent) => boolean;
}
