/**
 * The face of @eventline/s3-emulator: `createS3Emulator` and its types. Imports nothing of eventline.
 */
export { uriEncode } from './auth.ts';
export * from './constants.ts';
export { createS3Emulator, parseRange } from './emulator.ts';
export * from './errors.ts';
export { urlEncodeKey } from './listing.ts';
export { answerClientError, installS3ServerQuirks } from './server-quirks.ts';
export type * from './types.ts';
