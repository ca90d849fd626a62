import type { Route } from '@eventline/config/runtime';
import type { CellType } from './cells.ts';
import { LOG_PRESET_SPECS } from './log-presets.ts';

/**
 * A `log` route's settings: its options over its preset's defaults. Apart from the decoder so that
 * ingestion can ask whether a file can be resumed from a byte offset without loading the decoder.
 */

export interface LogSettings {
  delimiter: string;
  quote: string | undefined;
  brackets: boolean;
  /** Field names when known before the file is read; a header or `#Fields:` line may set them. */
  fields: readonly string[] | undefined;
  /** Whether the route named the fields itself (a header must then agree with them). */
  fieldsFromRoute: boolean;
  minFields: number;
  header: boolean;
  directives: boolean;
  nullValue: string | undefined;
  types: Readonly<Record<string, CellType>>;
  routeTypes: Readonly<Record<string, CellType>>;
}

/** The route's log options over its preset's defaults. */
export function logSettings(route: Route): LogSettings {
  const options = route.log;
  const spec = LOG_PRESET_SPECS[options.preset];
  return {
    delimiter: options.delimiter ?? spec.delimiter,
    quote: options.quote ?? spec.quote,
    brackets: spec.brackets,
    fields: options.fields ?? spec.fields,
    fieldsFromRoute: options.fields !== undefined,
    minFields: options.fields ? options.fields.length : spec.minFields,
    header: options.header ?? spec.header,
    directives: spec.directives,
    nullValue: options.nullValue ?? spec.nullValue,
    types: { ...spec.types, ...options.types },
    routeTypes: options.types,
  };
}

/** Whether a file of this route can be read from the middle: its fields do not come from a header. */
export function logResumable(route: Route): boolean {
  const settings = logSettings(route);
  return !settings.header && !settings.directives;
}
