/**
 * The message that closes a digest window, as the delayed SQS message carries it: written by the
 * window's first outcome (digest.ts), read by the event normalisation (events.ts). Imports nothing.
 */

/** Which window: the route, the start of its time slot (ms), and the part (a full window's next). */
export interface WindowRef {
  route: string;
  start: number;
  part: number;
}

export const windowId = (ref: WindowRef): string => `${ref.route}/${ref.start}/${ref.part}`;

/** The body of the delayed SQS message that closes a window. */
export function digestCloseMessage(ref: WindowRef): Record<string, unknown> {
  return { eventline: 'digest-close', route: ref.route, start: ref.start, part: ref.part };
}

/** The window a message closes, when it is a close message (else undefined). */
export function digestCloseOf(payload: unknown): WindowRef | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  if (p.eventline !== 'digest-close') return undefined;
  if (typeof p.route !== 'string' || !Number.isInteger(p.start) || !Number.isInteger(p.part))
    return undefined;
  return { route: p.route, start: p.start as number, part: p.part as number };
}
