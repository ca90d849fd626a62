/**
 * Socket timeouts for a function timeout: connect in 3 s, at most a third of the timeout of silence
 * (kept below the function timeout, so that a stalled connection fails one request, retried, instead
 * of the whole invocation). For SDK v3's clients (`clients.ts`) and the Lambda entry's (`http/`).
 */
export function timeoutsFor(functionTimeoutSeconds: number): { connectionMs: number; requestMs: number } {
  const ms = functionTimeoutSeconds * 1000;
  return {
    connectionMs: Math.min(3_000, Math.floor(ms / 4)),
    requestMs: Math.min(20_000, Math.floor(ms / 3)),
  };
}
