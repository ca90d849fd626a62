/**
 * The face `@eventline/core/formats`: every decoder, for tests and tools that call one directly. The
 * pipeline does not import this module: it reaches the decoders through `decoderFor` (./index.ts), which
 * loads the rarer ones on first use, so that a bundle holds only those its routes need.
 */
export * from './cells.ts';
export * from './csv.ts';
export * from './index.ts';
export * from './json.ts';
export * from './json-array.ts';
export * from './log.ts';
export * from './log-presets.ts';
export * from './log-settings.ts';
export * from './object.ts';
export * from './parquet.ts';
export * from './records-path.ts';
export * from './text.ts';
export * from './types.ts';
