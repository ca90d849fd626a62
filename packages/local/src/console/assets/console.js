// @ts-check
/**
 * The eventline console: a live view of the local stack, in plain browser JavaScript modules
 * (no build step; `index.html` loads this file with `<script type="module">`).
 *
 * Data comes from the stack's API on the same origin: a snapshot (`/_eventline/feed`, `/files`,
 * `/stats`, `/dlq`) and then server-sent events (`/_eventline/events`: `feed`, `log`, `counters`).
 * Uploads are S3 PutObject requests to the same edge, like any client's. Text from the stack is
 * only ever set as text, never parsed as HTML.
 *
 * How a feature plugs in (a new panel, say):
 * 1. Write `modules/<name>.js` (served as `/_console/modules/<name>.js`; lower-case letters, digits
 *    and dashes). Export a `Feature` (see `modules/hooks.js`): `{ name, tab?, show?, wire?, health?,
 *    resync?, feed?, log?, counters?, stats? }`; every hook is optional.
 * 2. For a tab: add a `<button class="tab" data-tab="<tab>">` and a `<div data-tab-body="<tab>" hidden>`
 *    to `index.html`, set `tab: '<tab>'`, and load the panel in `show()`. Refresh it from `feed`
 *    (debounced, see `modules/schedule.js`) and in `resync()` when `state.tab` is yours.
 * 3. Import it here and add it to `register(...)`. Shared pieces: `api.js` (the stack's API with
 *    exact numbers), `dom.js` (`el`, `h`, `badge`, `toast`), `format.js`, `state.js`, and
 *    `detail.js`'s `select(key)` to open a file.
 * Its styles go to `styles/<name>.css`, linked from `index.html` (after `base.css`, which holds the
 * palette). No build and no server change are needed.
 */
import { detail } from './modules/detail.js';
import { dlq } from './modules/dlq.js';
import { files } from './modules/files.js';
import { dispatch, register } from './modules/hooks.js';
import { ledgerPanel } from './modules/ledger.js';
import { start } from './modules/live.js';
import { notifications } from './modules/notifications.js';
import { pipeline } from './modules/pipeline.js';
import { runtime } from './modules/runtime.js';
import { tabs } from './modules/tabs.js';
import { uploads } from './modules/uploads.js';

// Order matters only where hooks share a moment: each hook runs in this order.
register(tabs, pipeline, runtime, files, ledgerPanel, notifications, dlq, detail, uploads);
dispatch('wire');
start();
