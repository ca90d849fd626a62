import { LIST_PAGE_SIZE } from './constants.ts';
import { invalidParameter } from './errors.ts';

/**
 * List* paging: items sorted by ARN, up to 100 a page; NextToken (opaque to clients) is the last
 * ARN returned, base64url-encoded, so deleting items between pages neither skips nor repeats others.
 */
export function page<T>(
  items: readonly T[],
  arnOf: (item: T) => string,
  nextToken: string | undefined,
  pageSize = LIST_PAGE_SIZE,
): { items: T[]; nextToken?: string } {
  const sorted = [...items].sort((a, b) => (arnOf(a) < arnOf(b) ? -1 : arnOf(a) > arnOf(b) ? 1 : 0));
  let start = 0;
  if (nextToken !== undefined && nextToken !== '') {
    const after = Buffer.from(nextToken, 'base64url').toString('utf8');
    if (!after.startsWith('arn:') || Buffer.from(after, 'utf8').toString('base64url') !== nextToken) {
      throw invalidParameter('Invalid parameter: NextToken');
    }
    start = sorted.findIndex((item) => arnOf(item) > after);
    if (start < 0) start = sorted.length;
  }
  const slice = sorted.slice(start, start + pageSize);
  const last = slice.at(-1);
  const more = start + pageSize < sorted.length && last !== undefined;
  return more
    ? { items: slice, nextToken: Buffer.from(arnOf(last), 'utf8').toString('base64url') }
    : { items: slice };
}
