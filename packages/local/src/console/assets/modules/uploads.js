// @ts-check
/**
 * Uploads: files from the picker or dropped anywhere on the page go to the bucket as S3
 * PutObject requests through the edge, like any client's, four at a time, with progress toasts.
 * "Upload as a browser would" sends each file as a web page does: an HTML form POST to the bucket
 * with a presigned POST policy that the stack's API makes (as an application's backend would).
 */
import { el, toast } from './dom.js';
import { encodeKey } from './format.js';
import { state } from './state.js';

function bucketName() {
  return state.health?.bucket ?? 'eventline-local';
}

/** @param {string} key */
function routeOf(key) {
  return state.health?.routes.find((r) => key.startsWith(r.prefix) && key.endsWith(r.suffix));
}

/**
 * PutObject through the edge, as any S3 client would (path-style: /bucket/key).
 * @param {File} file @param {string} key @param {(fraction: number) => void} [progress]
 * @returns {Promise<void>}
 */
function putObject(file, key, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/${encodeURIComponent(bucketName())}/${encodeKey(key)}`);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && progress) progress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      const doc = new DOMParser().parseFromString(xhr.responseText || '<Error/>', 'application/xml');
      const code = doc.querySelector('Code')?.textContent;
      const message = doc.querySelector('Message')?.textContent;
      reject(new Error(`S3 answered ${xhr.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`));
    });
    xhr.addEventListener('error', () => reject(new Error('the stack did not answer')));
    xhr.send(file);
  });
}

/**
 * POST Object with a presigned POST: the form fields from the stack's API, then the file (last, as S3
 * requires); the key is the prefix plus the file's name (`${filename}` in the policy's key).
 * @param {File} file @param {string} key @param {(fraction: number) => void} [progress]
 * @returns {Promise<void>}
 */
async function postObject(file, key, progress) {
  const prefix = key.slice(0, key.length - file.name.length);
  const answer = await fetch('/_eventline/presigned-post', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prefix }),
  });
  if (!answer.ok) throw new Error(`the stack could not presign the upload (${answer.status})`);
  const post = /** @type {{ url: string, fields: Record<string, string> }} */ (await answer.json());
  const form = new FormData();
  for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
  form.append('file', file, file.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // Same origin: the edge serves the bucket (path-style) and this page.
    xhr.open('POST', new URL(post.url).pathname);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && progress) progress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 201) return resolve();
      const doc = new DOMParser().parseFromString(xhr.responseText || '<Error/>', 'application/xml');
      const code = doc.querySelector('Code')?.textContent;
      const message = doc.querySelector('Message')?.textContent;
      reject(new Error(`S3 answered ${xhr.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`));
    });
    xhr.addEventListener('error', () => reject(new Error('the stack did not answer')));
    xhr.send(form);
  });
}

/** @param {FileList | File[]} files @param {'put' | 'post'} [how] */
async function uploadFiles(files, how = 'put') {
  const all = [...files];
  if (all.length === 0) return;
  const prefix = /** @type {HTMLInputElement} */ (el('upload-prefix')).value;
  const single = all.length <= 3;
  const summary = single ? null : toast(`uploading ${all.length} files…`, '', 60_000);
  let done = 0;
  let failed = 0;
  const queue = [...all];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const key = `${prefix}${file.name}`;
      const note = single ? toast(`uploading s3://${bucketName()}/${key}…`, '', 30_000) : null;
      try {
        await (how === 'post' ? postObject : putObject)(file, key, (f) =>
          note?.update(`uploading s3://${bucketName()}/${key}… ${Math.round(f * 100)}%`),
        );
        const route = routeOf(key);
        note?.update(
          route
            ? `uploaded s3://${bucketName()}/${key} (route ${route.id}, ${route.format})`
            : `uploaded s3://${bucketName()}/${key}: outside every route, so the pipeline ignores it`,
          route ? 'ok' : '',
        );
      } catch (error) {
        failed += 1;
        note?.update(
          `upload of ${key} failed: ${error instanceof Error ? error.message : String(error)}`,
          'bad',
        );
      }
      done += 1;
      summary?.update(
        `uploading ${all.length} files… ${done}/${all.length}${failed ? ` (${failed} failed)` : ''}`,
      );
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  summary?.update(
    `uploaded ${all.length - failed} of ${all.length} files${failed ? `; ${failed} failed` : ''}`,
    failed ? 'bad' : 'ok',
  );
}

/** @type {import('./hooks.js').Feature} */
export const uploads = {
  name: 'uploads',
  wire() {
    const input = /** @type {HTMLInputElement} */ (el('upload-input'));
    input.addEventListener('change', () => {
      const files = input.files ? [...input.files] : [];
      input.value = '';
      void uploadFiles(files);
    });
    const postInput = /** @type {HTMLInputElement} */ (el('upload-post-input'));
    postInput.addEventListener('change', () => {
      const files = postInput.files ? [...postInput.files] : [];
      postInput.value = '';
      void uploadFiles(files, 'post');
    });
    el('upload-prefix').addEventListener('input', () => {
      state.prefixEdited = true;
    });
    const overlay = el('drop-overlay');
    let depth = 0;
    /** @param {DragEvent} event */
    const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
    window.addEventListener('dragenter', (event) => {
      if (!hasFiles(event)) return;
      depth += 1;
      el('drop-target').textContent =
        `s3://${bucketName()}/${/** @type {HTMLInputElement} */ (el('upload-prefix')).value}`;
      overlay.hidden = false;
    });
    window.addEventListener('dragleave', (event) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) overlay.hidden = true;
    });
    window.addEventListener('dragover', (event) => {
      if (hasFiles(event)) event.preventDefault();
    });
    window.addEventListener('drop', (event) => {
      if (!event.dataTransfer?.files?.length) return;
      event.preventDefault();
      depth = 0;
      overlay.hidden = true;
      void uploadFiles(event.dataTransfer.files);
    });
  },
  health(health) {
    const prefix = /** @type {HTMLInputElement} */ (el('upload-prefix'));
    if (!state.prefixEdited && health.routes[0]) prefix.value = health.routes[0].prefix;
  },
};
