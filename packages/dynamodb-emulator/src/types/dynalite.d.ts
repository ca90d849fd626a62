declare module 'dynalite' {
  import type { Server } from 'node:http';

  /** dynalite 4's options (index.js); `path` is a LevelDB directory, in memory without it. */
  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    ssl?: boolean;
    verbose?: boolean;
    debug?: boolean;
  }
  /** An http.Server whose close() also closes the database (and whose listen() reopens it). */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
