/**
 * Errors of the S3 emulator. `S3Error` is an S3 API error: it becomes S3's XML error body with the
 * code, HTTP status and extra elements AWS documents (reference s3-api-semantics.md section 7).
 * `S3EmulatorConfigError` is a programming or configuration mistake by the code that embeds the emulator.
 */

export type ErrorFields = Record<string, string | number | undefined>;

export class S3Error extends Error {
  override name = 'S3Error' as const;
  readonly code: string;
  readonly status: number;
  /** Extra elements of the `<Error>` body, in order (`Key`, `BucketName`, `Condition`…). */
  readonly fields: ErrorFields;
  /** Extra response headers (`x-amz-delete-marker`, `Last-Modified`…). */
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    status: number,
    message: string,
    fields: ErrorFields = {},
    headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.fields = fields;
    this.headers = headers;
  }
}

export class S3EmulatorConfigError extends Error {
  override name = 'S3EmulatorConfigError' as const;
}

export const noSuchBucket = (bucket: string) =>
  new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket });

export const noSuchKey = (key: string, headers: Record<string, string> = {}) =>
  new S3Error('NoSuchKey', 404, 'The specified key does not exist.', { Key: key }, headers);

export const noSuchVersion = (key: string, versionId: string) =>
  new S3Error('NoSuchVersion', 404, 'The specified version does not exist.', {
    Key: key,
    VersionId: versionId,
  });

export const noSuchUpload = (uploadId: string) =>
  new S3Error(
    'NoSuchUpload',
    404,
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: uploadId },
  );

export const invalidArgument = (message: string, name: string, value?: string) =>
  new S3Error('InvalidArgument', 400, message, { ArgumentName: name, ArgumentValue: value });

export const invalidRequest = (message: string) => new S3Error('InvalidRequest', 400, message);

export const malformedXml = (detail?: string) =>
  new S3Error(
    'MalformedXML',
    400,
    `The XML you provided was not well-formed or did not validate against our published schema${detail ? ` (${detail})` : ''}`,
  );

export const preconditionFailed = (condition: string) =>
  new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', {
    Condition: condition,
  });

export const notImplemented = (message: string, header?: string) =>
  new S3Error('NotImplemented', 501, message, header ? { Header: header } : {});

export const accessDenied = (message: string, fields: ErrorFields = {}) =>
  new S3Error('AccessDenied', 403, message, fields);
