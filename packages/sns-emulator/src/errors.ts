/**
 * Errors of the local SNS service. `SnsApiError` is what a client sees: it is rendered as the
 * Query protocol's `<ErrorResponse>` with its code and HTTP status (section 4 of the wire-format
 * reference). The other errors are the service's own failures (state on disk, signing).
 */
export class SnsError extends Error {
  override name = 'SnsError';
}

export type FaultType = 'Sender' | 'Receiver';

/** Every error code the service answers with (AWS's own codes for the same faults). */
export type SnsErrorCode =
  | 'InvalidParameter'
  | 'ParameterValueInvalid'
  | 'ValidationError'
  | 'NotFound'
  | 'ResourceNotFound'
  | 'AuthorizationError'
  | 'TagLimitExceeded'
  | 'EmptyBatchRequest'
  | 'TooManyEntriesInBatchRequest'
  | 'BatchEntryIdsNotDistinct'
  | 'InvalidBatchEntryId'
  | 'BatchRequestTooLong'
  | 'MissingAction'
  | 'InvalidAction'
  | 'RequestEntityTooLarge'
  | 'InternalError';

/** The codes PublishBatch answers for a malformed batch as a whole. */
export type BatchErrorCode = Extract<
  SnsErrorCode,
  | 'EmptyBatchRequest'
  | 'TooManyEntriesInBatchRequest'
  | 'BatchEntryIdsNotDistinct'
  | 'InvalidBatchEntryId'
  | 'BatchRequestTooLong'
>;

export class SnsApiError extends SnsError {
  override name = 'SnsApiError';
  readonly code: SnsErrorCode;
  readonly httpStatus: number;
  readonly type: FaultType;

  constructor(
    code: SnsErrorCode,
    httpStatus: number,
    message: string,
    options: ErrorOptions & { type?: FaultType } = {},
  ) {
    super(message, options);
    this.code = code;
    this.httpStatus = httpStatus;
    this.type = options.type ?? (httpStatus >= 500 ? 'Receiver' : 'Sender');
  }
}

export const invalidParameter = (message: string, options?: ErrorOptions): SnsApiError =>
  new SnsApiError('InvalidParameter', 400, message, options);

export const invalidParameterValue = (message: string): SnsApiError =>
  new SnsApiError('ParameterValueInvalid', 400, message);

export const notFound = (message: string): SnsApiError => new SnsApiError('NotFound', 404, message);

export const topicNotFound = (): SnsApiError => notFound('Topic does not exist');

export const resourceNotFound = (message: string): SnsApiError =>
  new SnsApiError('ResourceNotFound', 404, message);

export const authorizationError = (message: string): SnsApiError =>
  new SnsApiError('AuthorizationError', 403, message);

export const tagLimitExceeded = (message: string): SnsApiError =>
  new SnsApiError('TagLimitExceeded', 400, message);

export const validationError = (message: string): SnsApiError =>
  new SnsApiError('ValidationError', 400, message);

export const batchError = (code: BatchErrorCode, message: string): SnsApiError =>
  new SnsApiError(code, 400, message);

export const missingAction = (message: string): SnsApiError => new SnsApiError('MissingAction', 400, message);

export const invalidAction = (message: string): SnsApiError => new SnsApiError('InvalidAction', 400, message);

export const requestEntityTooLarge = (message: string, options?: ErrorOptions): SnsApiError =>
  new SnsApiError('RequestEntityTooLarge', 413, message, options);

export const internalError = (options?: ErrorOptions): SnsApiError =>
  new SnsApiError('InternalError', 500, 'Internal error', { ...options, type: 'Receiver' });

/** The service's durable state could not be read or written. */
export class SnsStateError extends SnsError {
  override name = 'SnsStateError';
  readonly path: string;

  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }
}

/** One delivery attempt failed; `statusCode` is set when the endpoint answered. */
export class DeliveryError extends SnsError {
  override name = 'DeliveryError';
  readonly statusCode: number | undefined;

  constructor(message: string, options: ErrorOptions & { statusCode?: number } = {}) {
    super(message, options);
    this.statusCode = options.statusCode;
  }
}
