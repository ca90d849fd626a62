export * from './errors.ts';
export * from './events.ts';
export * from './formats/index.ts';
export * from './items.ts';
export * from './pipeline.ts';
export * from './ports.ts';
export * from './routing.ts';
export * from './values.ts';
