/**
 * The face of @eventline/cli: the program (`buildProgram`, `run`, `main`; bin/eventline.mjs starts it)
 * and the pieces its tests check on their own: the stack's outputs and queues, how a queued message
 * reads as a letter, the pacing of bulk operations, and what the ledger reads cost (the bench).
 */
export { type LedgerReader, readMeter } from './ledger.ts';
export { type Letter, letterOf } from './letters.ts';
export { buildProgram, main, run } from './main.ts';
export { type Queue, STACK_OUTPUTS, type Target } from './resources.ts';
export { pruneRecord, staleRecords } from './stale-records.ts';
export { Progress, Throttle } from './throttle.ts';
