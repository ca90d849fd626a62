/**
 * The face of @eventline/sqs-emulator: `createSqsEmulator` and its types. Imports nothing of eventline.
 */
export { API_VERSION, SQS_ACTIONS, type SqsAction, XML_NAMESPACE } from './constants.ts';
export { createSqsEmulator } from './emulator.ts';
export { SqsApiError, SqsError, SqsServerError, SqsStateError } from './errors.ts';
export { LOG_FILE } from './log.ts';
export { md5OfAttributes, md5OfBody } from './md5.ts';
export type * from './types.ts';
