import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleHandler } from '../admin.ts';

/**
 * The console: one static page (HTML, CSS and a vanilla script, no build step) served on the edge
 * under `/_console`. Everything it shows comes from the stack's own API (`/_eventline/*`, with
 * server-sent events for the live parts); uploads go through the S3 API like any client's.
 * The assets are read on each request: they are small, and an edit shows on reload.
 */

const ASSETS = new URL('./assets/', import.meta.url);

const FILES: Record<string, { file: string; type: string }> = {
  '/_console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/_console/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/_console/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  '/_console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/_console/runtime.js': { file: 'runtime.js', type: 'text/javascript; charset=utf-8' },
  '/_console/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

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
    const asset = FILES[url.pathname];
    if (!asset) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('the console is read with GET; actions go to /_eventline/*\n');
      return true;
    }
    const body = await readFile(new URL(asset.file, assets));
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'content-length': String(body.length),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
