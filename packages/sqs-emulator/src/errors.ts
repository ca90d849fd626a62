/**
 * Errors of the SQS emulator. `SqsApiError` is what a client sees: in the JSON protocol a body
 * `{"__type":"com.amazonaws.sqs#<jsonType>","message":…}` plus `x-amzn-query-error: <queryCode>;Sender`,
 * in the Query protocol an `<ErrorResponse>` with `<Code>` = `queryCode` (reference §1.2–1.4).
 * The other errors are the emulator's own failures (state on disk, listening).
 */
export class SqsError extends Error {
  override name = 'SqsError';
}

export type FaultType = 'Sender' | 'Receiver';

export class SqsApiError extends SqsError {
  override name = 'SqsApiError';
  /** The shape name AWS JSON 1.0 carries in `__type`. */
  readonly jsonType: string;
  /** The code the Query protocol and `x-amzn-query-error` carry. */
  readonly queryCode: string;
  readonly httpStatus: number;
  readonly type: FaultType;

  constructor(
    jsonType: string,
    queryCode: string,
    httpStatus: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.jsonType = jsonType;
    this.queryCode = queryCode;
    this.httpStatus = httpStatus;
    this.type = httpStatus >= 500 ? 'Receiver' : 'Sender';
  }
}

const legacy = (name: string) => `AWS.SimpleQueueService.${name}`;

export const queueDoesNotExist = (): SqsApiError =>
  new SqsApiError(
    'QueueDoesNotExist',
    legacy('NonExistentQueue'),
    400,
    'The specified queue does not exist.',
  );

export const queueNameExists = (attribute: string): SqsApiError =>
  new SqsApiError(
    'QueueNameExists',
    'QueueAlreadyExists',
    400,
    `A queue already exists with the same name and a different value for attribute ${attribute}`,
  );

export const invalidParameterValue = (message: string): SqsApiError =>
  new SqsApiError('InvalidParameterValueException', 'InvalidParameterValue', 400, message);

/** "Value X for parameter Y is invalid. Reason: Z." as AWS words it. */
export const invalidValue = (value: unknown, parameter: string, reason: string): SqsApiError =>
  invalidParameterValue(`Value ${String(value)} for parameter ${parameter} is invalid. Reason: ${reason}`);

export const missingParameter = (parameter: string): SqsApiError =>
  new SqsApiError(
    'MissingRequiredParameterException',
    'MissingParameter',
    400,
    `The request must contain the parameter ${parameter}.`,
  );

export const invalidAttributeName = (message: string): SqsApiError =>
  new SqsApiError('InvalidAttributeName', 'InvalidAttributeName', 400, message);

export const invalidAttributeValue = (message: string): SqsApiError =>
  new SqsApiError('InvalidAttributeValue', 'InvalidAttributeValue', 400, message);

export const batchError = (name: string, message: string): SqsApiError =>
  new SqsApiError(name, legacy(name), 400, message);

export const purgeInProgress = (queueName: string): SqsApiError =>
  new SqsApiError(
    'PurgeQueueInProgress',
    legacy('PurgeQueueInProgress'),
    403,
    `Only one PurgeQueue operation on ${queueName} is allowed every 60 seconds.`,
  );

export const receiptHandleIsInvalid = (handle: string): SqsApiError =>
  new SqsApiError(
    'ReceiptHandleIsInvalid',
    'ReceiptHandleIsInvalid',
    400,
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );

export const invalidMessageContents = (): SqsApiError =>
  new SqsApiError(
    'InvalidMessageContents',
    'InvalidMessageContents',
    400,
    'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
  );

export const resourceNotFound = (message: string): SqsApiError =>
  new SqsApiError('ResourceNotFoundException', 'ResourceNotFoundException', 404, message);

export const invalidAction = (action: string): SqsApiError =>
  new SqsApiError(
    'InvalidAction',
    'InvalidAction',
    400,
    `The action ${action} is not valid for this endpoint.`,
  );

export const internalError = (cause: unknown): SqsApiError =>
  new SqsApiError(
    'InternalError',
    'InternalError',
    500,
    'We encountered an internal error. Please try again.',
    {
      cause,
    },
  );

/** The emulator's durable state could not be read or written; `path` names the file. */
export class SqsStateError extends SqsError {
  override name = 'SqsStateError';
  readonly path: string;

  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }
}

/** The standalone server could not listen. */
export class SqsServerError extends SqsError {
  override name = 'SqsServerError';
}
