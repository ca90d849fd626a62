import type { Route } from '@eventline/config/runtime';
import { describePosition, RecordError } from './errors.ts';
import type { ObjectEvent } from './events.ts';
import type { DecodedRecord } from './formats/types.ts';

/**
 * A route's `transform`, run on each parsed record before its key, schema and item are made: the
 * same code in process, in the local function instances and on AWS (it travels in the bundle as key
 * functions do, packages/config/src/bundled.ts). One record in, zero, one or several out. A throw,
 * a result that is not an object (or a list of objects), or an async transform that does not settle
 * within the function timeout rejects that record with its position and the message; the file goes
 * on. A synchronous transform that never returns holds the event loop: the function timeout (Lambda,
 * or the local instance's stop) ends the invocation and the file is retried, then fails.
 */
export async function applyTransform(
  route: Route,
  event: Pick<ObjectEvent, 'bucket' | 'key'>,
  decoded: DecodedRecord,
  timeoutMs: number,
): Promise<DecodedRecord[]> {
  const transform = route.transform;
  if (!transform) return [decoded];
  const { position } = decoded;
  const fail = (code: string, problem: string, cause?: unknown) =>
    new RecordError(code, `${event.key}: ${describePosition(position)}: ${problem}`, {
      ...(cause === undefined ? {} : { cause }),
      position,
    });
  if (typeof decoded.value !== 'object' || decoded.value === null || Array.isArray(decoded.value)) {
    return [decoded]; // not a record: the key step rejects it as it does without a transform
  }
  const context = {
    bucket: event.bucket,
    key: event.key,
    ...(position.line !== undefined ? { line: position.line } : {}),
    ...(position.index !== undefined ? { index: position.index } : {}),
  };
  let result: unknown;
  try {
    const returned = transform(decoded.value as Record<string, unknown>, context);
    result = isPromise(returned) ? await withinTimeout(returned, timeoutMs) : returned;
  } catch (error) {
    if (error instanceof TransformTimeout) {
      throw fail('transform-timeout', `the transform did not settle within ${timeoutMs} ms`);
    }
    throw fail(
      'transform-failed',
      `the transform failed: ${(error as Error)?.message ?? String(error)}`,
      error,
    );
  }
  if (result === null || result === undefined) return [];
  const values = Array.isArray(result) ? result : [result];
  values.forEach((value, i) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const what = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
      throw fail(
        'bad-transform-result',
        `the transform returned ${Array.isArray(result) ? `${what} at [${i}]` : what}; expected an object, a list of objects, or null`,
      );
    }
  });
  if (values.length === 1) return [{ value: values[0], position }];
  return values.map((value, part) => ({ value, position: { ...position }, part }));
}

class TransformTimeout extends Error {}

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

async function withinTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TransformTimeout()), ms);
        timer.unref?.();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
