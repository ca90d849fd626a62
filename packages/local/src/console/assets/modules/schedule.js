// @ts-check
/**
 * When work runs: every change to what the page shows is applied once per animation frame
 * (`scheduleFrame` runs each `onFrame` renderer), and refreshes that many events ask for are
 * debounced, so tens of thousands of files keep the page responsive.
 */

/** @type {Array<() => void>} */
const renderers = [];
let framePending = false;

/** Adds a renderer that runs at every scheduled frame. @param {() => void} render */
export function onFrame(render) {
  renderers.push(render);
}

export function scheduleFrame() {
  if (framePending) return;
  framePending = true;
  requestAnimationFrame(() => {
    framePending = false;
    for (const render of renderers) render();
  });
}

/**
 * Runs `fn` at most once per `ms`, trailing (the last call wins).
 * @param {() => unknown} fn @param {number} ms
 */
export function debounce(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return () => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}
