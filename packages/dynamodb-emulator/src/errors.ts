/** The base of this package's errors. */
export class DynamoEmulatorError extends Error {
  override name = 'DynamoEmulatorError';
}

/** A data directory another live process holds (its lock file names the pid, and the port once known). */
export class DataDirectoryLockedError extends DynamoEmulatorError {
  override name = 'DataDirectoryLockedError' as const;
  constructor(
    readonly directory: string,
    readonly owner: { pid: number; port?: number; startedAt?: string; what?: string },
    options?: ErrorOptions,
  ) {
    const where = owner.port ? `pid ${owner.pid}, port ${owner.port}` : `pid ${owner.pid}, still starting`;
    super(
      `data directory "${directory}" is in use by ${owner.what ?? 'another process'} (${where}${owner.startedAt ? `, since ${owner.startedAt}` : ''}); stop it first, or use another data directory`,
      options,
    );
  }
}

/** An error in the DynamoDB JSON protocol: `type` is the short `__type` (e.g. `ValidationException`). */
export class DynamoProtocolError extends DynamoEmulatorError {
  override name = 'DynamoProtocolError' as const;
  constructor(
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly status = 400,
  ) {
    super(message);
  }
}
