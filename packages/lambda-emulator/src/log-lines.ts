/**
 * The lines a function instance prints, read as Lambda's log consumers read them: Powertools JSON log
 * lines (level, message, fields) and CloudWatch embedded-metric-format lines (metrics and their values).
 */

/** A Powertools JSON log line (`{"level":"INFO","message":…,…}`), or undefined for any other line. */
export function parsePowertoolsLine(
  line: string,
):
  | { level: 'debug' | 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> }
  | undefined {
  if (!line.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { level, message, ...fields } = parsed as Record<string, unknown>;
  if (typeof message !== 'string' || typeof level !== 'string') return undefined;
  const lower = level.toLowerCase();
  const mapped =
    lower === 'warn' || lower === 'warning'
      ? 'warn'
      : lower === 'error' || lower === 'critical'
        ? 'error'
        : lower === 'debug' || lower === 'trace'
          ? 'debug'
          : 'info';
  return { level: mapped, message, fields };
}

/**
 * The metrics of a CloudWatch embedded-metric-format line (what Powertools Metrics prints at the end
 * of an invocation): name, unit and values, or undefined for any other line.
 */
export function parseEmfLine(
  line: string,
): Array<{ name: string; unit: string; values: number[] }> | undefined {
  if (!line.startsWith('{"_aws"')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const record = parsed as {
    _aws?: { CloudWatchMetrics?: Array<{ Metrics?: Array<{ Name?: string; Unit?: string }> }> };
  } & Record<string, unknown>;
  const out: Array<{ name: string; unit: string; values: number[] }> = [];
  for (const group of record._aws?.CloudWatchMetrics ?? []) {
    for (const metric of group.Metrics ?? []) {
      if (!metric.Name) continue;
      const value = record[metric.Name];
      const values = (Array.isArray(value) ? value : [value]).filter(
        (v): v is number => typeof v === 'number',
      );
      out.push({ name: metric.Name, unit: metric.Unit ?? 'None', values });
    }
  }
  return out;
}
