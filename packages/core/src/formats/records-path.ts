import type { Token } from 'stream-json/core/parser.js';
import { PermanentError } from '../errors.ts';

/**
 * Finds the array of records inside a JSON document as its tokens stream by (`Records` in a
 * CloudTrail file, `data.items` elsewhere) and passes on only the array's own tokens, so the
 * json-array decoder reads it as if it were the whole file. Everything else in the document is
 * skipped token by token, never built, so memory stays flat whatever sits beside the array.
 */
export class RecordsPath {
  private readonly path: string[];
  /** Containers open around the current token. */
  private depth = 0;
  /** How many of the open containers are on the path (the document itself counts as one). */
  private matched = 0;
  private lastKey: string | undefined;
  /** Inside the target array: its nesting, so its end is known. */
  private inner = 0;
  private state: 'before' | 'inside' | 'after' = 'before';

  constructor(
    recordsPath: string,
    private readonly objectKey: string,
  ) {
    this.path = recordsPath.split('.');
  }

  get found(): boolean {
    return this.state !== 'before';
  }

  /** The token to hand on, or undefined when it is outside the array. */
  push(token: Token): Token | undefined {
    if (this.state === 'inside') {
      if (token.name === 'startObject' || token.name === 'startArray') this.inner += 1;
      else if (token.name === 'endObject' || token.name === 'endArray') {
        this.inner -= 1;
        if (this.inner === 0) this.state = 'after';
      }
      return token;
    }
    switch (token.name) {
      case 'startObject':
      case 'startArray': {
        if (this.depth === 0 && token.name !== 'startObject') {
          throw this.error('the document is not an object');
        }
        const onPath =
          this.state === 'before' &&
          (this.depth === 0 || (this.depth === this.matched && this.lastKey === this.path[this.matched - 1]));
        this.lastKey = undefined;
        this.depth += 1;
        if (!onPath) return undefined;
        if (this.depth === this.path.length + 1) {
          if (token.name !== 'startArray')
            throw this.error(`"${this.path.join('.')}" is an object, not an array`);
          this.state = 'inside';
          this.inner = 1;
          this.depth -= 1;
          return token;
        }
        if (token.name === 'startObject') this.matched = this.depth;
        return undefined;
      }
      case 'endObject':
      case 'endArray':
        this.depth -= 1;
        if (this.matched > this.depth) this.matched = this.depth;
        this.lastKey = undefined;
        return undefined;
      case 'keyValue':
        if (this.depth === this.matched) this.lastKey = token.value;
        return undefined;
      default:
        if (this.depth === 0) throw this.error('the document is not an object');
        if (
          this.state === 'before' &&
          this.depth === this.path.length &&
          this.depth === this.matched &&
          this.lastKey === this.path.at(-1)
        ) {
          throw this.error(`"${this.path.join('.')}" is not an array`);
        }
        this.lastKey = undefined;
        return undefined;
    }
  }

  /** At the end of the document: a document without the array is a bad file. */
  finish(): void {
    if (this.state === 'before') throw this.error(`no array at "${this.path.join('.')}"`);
  }

  private error(problem: string): PermanentError {
    return new PermanentError(
      'no-records-array',
      `${this.objectKey}: expected a JSON object with an array of records at "${this.path.join('.')}": ${problem}`,
      { position: { index: 0 } },
    );
  }
}
