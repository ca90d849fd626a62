/** Small statistics for benchmark samples: every figure is a median over runs with its min and max. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** The samples, in run order. */
  runs: number[];
}

/** The q-quantile (0..1) of the values, by linear interpolation between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const low = Math.floor(at);
  const high = Math.ceil(at);
  const lowValue = sorted[low]!;
  return lowValue + (sorted[high]! - lowValue) * (at - low);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export function summarize(runs: readonly number[]): Summary {
  return {
    median: round(median(runs)),
    min: round(Math.min(...runs)),
    max: round(Math.max(...runs)),
    runs: runs.map(round),
  };
}

/** Rounds to a precision that keeps 4 significant digits for small values and none lost for large. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 1 : magnitude >= 1 ? 3 : 6;
  return Number(value.toFixed(digits));
}

/** `a / b`, rounded; NaN when b is 0. */
export const ratio = (a: number, b: number): number => (b === 0 ? Number.NaN : round(a / b));

/** Formats a summary as `median (min–max)` with a unit. */
export function formatSummary(summary: Summary, unit = '', digits = 1): string {
  const f = (v: number) => formatNumber(v, digits);
  return summary.runs.length > 1
    ? `${f(summary.median)}${unit} (${f(summary.min)}–${f(summary.max)})`
    : `${f(summary.median)}${unit}`;
}

export function formatNumber(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
