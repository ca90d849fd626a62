// @ts-check
/**
 * A virtualised list: fixed row height, only the visible rows (plus a few) exist in the DOM, and
 * their nodes are reused as the list scrolls.
 */
import { scheduleFrame } from './schedule.js';

export const ROW_HEIGHT = 32;
const OVERSCAN = 8;

export class VirtualList {
  /**
   * @param {HTMLElement} viewport @param {HTMLElement} spacer
   * @param {() => HTMLElement} createRow a new, empty row node
   * @param {(node: HTMLElement, key: string) => void} renderRow
   */
  constructor(viewport, spacer, createRow, renderRow) {
    this.viewport = viewport;
    this.spacer = spacer;
    this.createRow = createRow;
    this.renderRow = renderRow;
    /** @type {string[]} */
    this.items = [];
    /** @type {HTMLElement[]} */
    this.pool = [];
    viewport.addEventListener('scroll', () => scheduleFrame(), { passive: true });
  }

  /** @param {string[]} items */
  setItems(items) {
    this.items = items;
    this.spacer.style.height = `${items.length * ROW_HEIGHT}px`;
  }

  /** The first row at least half visible. */
  firstVisible() {
    return this.items[Math.round(this.viewport.scrollTop / ROW_HEIGHT)];
  }

  /** @param {string} key */
  anchor(key) {
    const index = this.items.indexOf(key);
    if (index >= 0) this.viewport.scrollTop = index * ROW_HEIGHT;
  }

  /** @param {number} index */
  reveal(index) {
    const top = index * ROW_HEIGHT;
    const v = this.viewport;
    if (top < v.scrollTop) v.scrollTop = top;
    else if (top + ROW_HEIGHT > v.scrollTop + v.clientHeight) v.scrollTop = top + ROW_HEIGHT - v.clientHeight;
  }

  render() {
    const { clientHeight } = this.viewport;
    // Rows of a longer list may still hold the scroll range open: clamp to this list's end.
    const end = Math.max(0, this.items.length * ROW_HEIGHT - clientHeight);
    if (this.viewport.scrollTop > end) this.viewport.scrollTop = end;
    const scrollTop = Math.min(this.viewport.scrollTop, end);
    const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.items.length, Math.ceil((scrollTop + clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const needed = Math.max(0, last - first);
    while (this.pool.length < needed) {
      const node = this.createRow();
      this.viewport.append(node);
      this.pool.push(node);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const node = /** @type {HTMLElement} */ (this.pool[i]);
      if (i >= needed) {
        node.hidden = true;
        continue;
      }
      const index = first + i;
      node.hidden = false;
      node.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      this.renderRow(node, /** @type {string} */ (this.items[index]));
    }
  }
}
