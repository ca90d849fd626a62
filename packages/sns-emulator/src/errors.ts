/**
 * Errors of the local SNS service. `SnsApiError` is what a client sees: it is rendered as the
 * Query protocol's `<ErrorResponse>` with its code and HTTP status (section 4 of the wire-format
 * reference). The other errors are the service's own failures (state on disk, signing).
 */
export class SnsError extends Error {
  override name = 'SnsError';
}

export type FaultType = 'Sender' | 'Receiver';

export class SnsApiError extends SnsError {
  override name = 'SnsApiError';
  readonly code: string;
  readonly httpStatus: number;
  readonly type: FaultType;

  constructor(
    code: string,
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

export const invalidParameter = (message: string): SnsApiError =>
  new SnsApiError('InvalidParameter', 400, message);

export const invalidParameterValue = (message: string): SnsApiError =>
  new SnsApiError('ParameterValueInvalid', 400, message);

export const notFound = (message: string): SnsApiError => new SnsApiError('NotFound', 404, message);

export const topicNotFound = (): SnsApiError => notFound('Topic does not exist');

export const batchError = (code: string, message: string): SnsApiError => new SnsApiError(code, 400, message);

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
