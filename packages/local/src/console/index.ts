import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleHandler } from '../admin.ts';

/**
 * The console: one static page (HTML, CSS and plain ES modules, no build step) served on the edge
 * under `/_console`: `console.js` is the entry module, each feature a module under `modules/`, and
 * the styles one sheet per part of the page under `styles/`. Everything it shows comes from the
 * stack's own API (`/_eventline/*`, with server-sent events for the live parts); uploads go
 * through the S3 API like any client's.
 * The assets are read on each request: they are small, and an edit shows on reload.
 */

const ASSETS = new URL('./assets/', import.meta.url);

const FILES: Record<string, { file: string; type: string }> = {
  '/_console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/_console/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/_console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/_console/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/**
 * A feature's module or style sheet: `/_console/modules/<name>.js`, `/_console/styles/<name>.css`.
 * A plain name only (no dots or slashes), so no path leaves the folder.
 */
const PART = /^\/_console\/(modules\/[a-z0-9][a-z0-9-]*\.js|styles\/[a-z0-9][a-z0-9-]*\.css)$/;

function assetFor(pathname: string): { file: string; type: string } | undefined {
  const known = FILES[pathname];
  if (known) return known;
  const file = PART.exec(pathname)?.[1];
  if (file === undefined) return undefined;
  return {
    file,
    type: file.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
  };
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Same-origin only: the page talks to the edge it came from and runs no inline code. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export interface ConsolePageOptions {
  /** Where the page's files are (default: `assets/` next to this module). */
  assets?: URL;
}

export function createConsolePage(options: ConsolePageOptions = {}): ConsoleHandler {
  const assets = options.assets ?? ASSETS;
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const asset = assetFor(url.pathname);
    if (!asset) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('the console is read with GET; actions go to /_eventline/*\n');
      return true;
    }
    let body: Buffer;
    try {
      body = await readFile(new URL(asset.file, assets));
    } catch (error) {
      // A module name that is not there is an unknown path (404), like any other.
      if (isMissing(error)) return false;
      throw error;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'content-length': String(body.length),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
