// @ts-check
/**
 * Page helpers: find an element, build one (text only, never HTML), and the small visual touches
 * every panel uses (a status badge, a pulse, a toast).
 */

/** @param {string} id */
export function el(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`console: #${id} is missing from the page`);
  return node;
}

/**
 * Creates an element; string children become text nodes (never HTML).
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === false) continue;
    if (name === 'class') node.className = String(value);
    else if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

/** @param {string} id @param {string} text */
export function setText(id, text) {
  const node = el(id);
  if (node.textContent !== text) node.textContent = text;
}

/** @param {string} id */
export function pulse(id) {
  const node = el(id);
  if (node.classList.contains('pulse')) return;
  node.classList.add('pulse');
  setTimeout(() => node.classList.remove('pulse'), 450);
}

/** @param {string} status */
export function badge(status) {
  return h('span', { class: 'badge', 'data-status': status }, status);
}

/** @param {string} text @param {'ok' | 'bad' | ''} [tone] @param {number} [ttl] */
export function toast(text, tone = '', ttl = 4000) {
  const box = el('toasts');
  const node = h('div', { class: `toast ${tone}`, role: 'status' }, text);
  box.append(node);
  while (box.children.length > 3) box.firstElementChild?.remove();
  const timer = setTimeout(() => node.remove(), ttl);
  return {
    /** @param {string} next @param {'ok' | 'bad' | ''} [nextTone] */
    update(next, nextTone) {
      node.textContent = next;
      if (nextTone !== undefined) node.className = `toast ${nextTone}`;
      clearTimeout(timer);
      setTimeout(() => node.remove(), ttl);
    },
  };
}
