// @ts-check
/** The stack's own API on the same origin (`/_eventline/*`). */
import { parseExact } from './format.js';

export const API = '/_eventline';

/** @param {string} path @param {RequestInit} [init] */
export async function api(path, init) {
  const response = await fetch(`${API}${path}`, init);
  const text = await response.text();
  /** @type {any} */
  let body = {};
  try {
    body = text ? parseExact(text) : {};
  } catch {
    body = { error: text };
  }
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}
