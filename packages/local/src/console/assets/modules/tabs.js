// @ts-check
/**
 * The tabs of the lists panel: a tab button `data-tab="x"` shows the body `data-tab-body="x"`
 * and calls `show()` of the features whose `tab` is `x`.
 */
import { features } from './hooks.js';
import { state } from './state.js';

/** @param {string} tab */
export function showTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll('.tab')) {
    button.setAttribute('aria-selected', String(/** @type {HTMLElement} */ (button).dataset.tab === tab));
  }
  for (const body of document.querySelectorAll('[data-tab-body]')) {
    /** @type {HTMLElement} */ (body).hidden = /** @type {HTMLElement} */ (body).dataset.tabBody !== tab;
  }
  for (const feature of features()) if (feature.tab === tab) feature.show?.();
}

/** @type {import('./hooks.js').Feature} */
export const tabs = {
  name: 'tabs',
  wire() {
    for (const button of document.querySelectorAll('.tab')) {
      button.addEventListener('click', () =>
        showTab(/** @type {HTMLElement} */ (button).dataset.tab ?? 'files'),
      );
    }
  },
};
