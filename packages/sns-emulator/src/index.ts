/**
 * The face of @eventline/sns-emulator: the service, its standalone server, the notification log and
 * the errors. Imports nothing of eventline.
 */
export { SUPPORTED_ACTIONS } from './api.ts';
export { CERT_PATH, SNS_ACTIONS } from './constants.ts';
export { DeliveryError, SnsApiError, SnsError, type SnsErrorCode, SnsStateError } from './errors.ts';
export { LOG_FILE, readNotifications } from './notification-log.ts';
export { type SnsServer, SnsServerError, type SnsServerOptions, startSnsServer } from './server.ts';
export { createSnsService } from './service.ts';
export { publicKeyOf } from './signing.ts';
export { STATE_FILE } from './store.ts';
export type * from './types.ts';
