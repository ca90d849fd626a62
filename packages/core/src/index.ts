/**
 * The face of @eventline/core: the processing use case and what it is made of (events, routing, the
 * ledger's item layout, exact DynamoDB values, errors, ports). The decoders themselves are under
 * `@eventline/core/formats`; the pipeline loads the ones its routes use.
 */
/** Whether an outcome still owes a step (its notification, its dead letter, an older version's): reconcile's `owes`. */
export { hasPendingSteps } from './claim.ts';
export * from './continuation.ts';
export * from './decisions.ts';
export * from './digest.ts';
export * from './digest-close.ts';
export * from './digest-due.ts';
export * from './digest-windows.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './formats/index.ts';
export * from './items.ts';
export * from './lease.ts';
export * from './ledger-index.ts';
export * from './ledger-pages.ts';
export * from './outcome.ts';
export * from './pipeline.ts';
export * from './ports.ts';
export * from './redrive.ts';
export * from './routing.ts';
export * from './values.ts';
