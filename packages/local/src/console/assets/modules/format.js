// @ts-check
/**
 * Reading the stack's JSON and writing values for people.
 *
 * Numbers stay exact: DynamoDB numbers (38 digits, 1e-130) do not fit a double, so `parseExact`
 * keeps the text the stack sent for any number a double would round, as `JSON.rawJSON` (which
 * `JSON.stringify` writes back exactly as it came) or, where the browser has no `rawJSON`, as the
 * decimal string itself. Payloads are shown with `pretty`, which therefore prints them unrounded.
 */

/**
 * JSON with DynamoDB's numbers exact (see above).
 * @param {string} text
 */
export function parseExact(text) {
  const raw = /** @type {any} */ (JSON).rawJSON;
  return JSON.parse(
    text,
    /** @param {string} _key @param {unknown} value @param {{ source?: string }} [context] */
    (_key, value, context) => {
      if (typeof value !== 'number' || context?.source === undefined || String(value) === context.source)
        return value;
      return typeof raw === 'function' ? raw(context.source) : context.source;
    },
  );
}

const numberFormat = new Intl.NumberFormat('en-US');
/** @param {number | undefined} n */
export const int = (n) => (n === undefined || n === null ? '–' : numberFormat.format(n));

/** @param {number | undefined} n */
export function bytes(n) {
  if (n === undefined || n === null) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** @param {number | undefined} ms */
export function duration(ms) {
  if (ms === undefined || ms === null) return '–';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** @param {string | undefined} iso */
export function clock(iso, millis = false) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString('en-GB', { hour12: false });
  return millis ? `${time}.${String(d.getMilliseconds()).padStart(3, '0')}` : time;
}

/** @param {string} key */
export const encodeKey = (key) => key.split('/').map(encodeURIComponent).join('/');

/** @param {unknown} value */
export const pretty = (value) => JSON.stringify(value, null, 2);
