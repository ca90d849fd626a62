/**
 * Errors of the core. Two families decide what happens to a file:
 * - PermanentError: the file itself is bad (malformed, too large, no key...). Retrying cannot help:
 *   the file is recorded as FAILED with the reason, dead-lettered and a failure notification is sent.
 * - TransientError: something around the file is unwell (throttling, endpoint down). The error is
 *   thrown so that Lambda (or the local stack) retries with backoff.
 * Anything else is a bug, and is treated as transient: it is retried, then dead-lettered, never dropped.
 */
export class EventlineError extends Error {
  override name = 'EventlineError';
}

/** Where in a file a problem is: 1-based line and/or 0-based record index, JSON path of a field. */
export interface Position {
  line?: number;
  column?: number;
  index?: number;
  field?: string;
}

export function describePosition(position: Position | undefined): string {
  if (!position) return '';
  const parts: string[] = [];
  if (position.line !== undefined) parts.push(`line ${position.line}`);
  if (position.column !== undefined) parts.push(`column ${position.column}`);
  if (position.index !== undefined) parts.push(`record ${position.index}`);
  if (position.field !== undefined) parts.push(`field "${position.field}"`);
  return parts.join(', ');
}

export class PermanentError extends EventlineError {
  override name = 'PermanentError';
  readonly code: string;
  readonly position: Position | undefined;

  constructor(code: string, message: string, options: ErrorOptions & { position?: Position } = {}) {
    super(message, options);
    this.code = code;
    this.position = options.position;
  }
}

export class TransientError extends EventlineError {
  override name = 'TransientError';
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A record (not its file) is invalid; the route's `onInvalid` decides whether the file goes on. */
export class RecordError extends PermanentError {
  override name = 'RecordError';
}

/**
 * The same object version is being processed elsewhere right now; retry later. `heldUntil`: when the
 * holder's lease ends (epoch ms), when known; by then it has finished, or its claim is void.
 */
export class InProgressError extends TransientError {
  override name = 'InProgressError';
  readonly heldUntil: number | undefined;

  constructor(code: string, message: string, options: ErrorOptions & { heldUntil?: number } = {}) {
    super(code, message, options);
    this.heldUntil = options.heldUntil;
  }
}

export const isPermanent = (error: unknown): error is PermanentError => error instanceof PermanentError;

/** True for errors that must be retried (transient ones and bugs). */
export const isRetryable = (error: unknown): boolean => !isPermanent(error);

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The object was replaced by a newer write since this event: the newer event will process it. */
export class SupersededError extends EventlineError {
  override name = 'SupersededError';
}

/** Errors that only a bug raises: retrying cannot help, so the file fails with the reason. */
const PROGRAMMING_ERRORS = new Set(['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError']);

export function isProgrammingError(error: unknown): error is Error {
  return error instanceof Error && !(error instanceof EventlineError) && PROGRAMMING_ERRORS.has(error.name);
}

/** An error as a log field: name, message, stack and its `cause` chain (bounded), never a bare string. */
export function describeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  if (error.stack) out.stack = error.stack;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  if (error instanceof InProgressError && error.heldUntil !== undefined) {
    out.heldUntil = new Date(error.heldUntil).toISOString();
  }
  if (error.cause !== undefined && depth < 4) out.cause = describeError(error.cause, depth + 1);
  if (error instanceof AggregateError && depth < 4) {
    out.errors = error.errors.slice(0, 5).map((e) => describeError(e, depth + 1));
  }
  return out;
}
