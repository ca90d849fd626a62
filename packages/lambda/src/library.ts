/**
 * The face of @eventline/lambda: the handler and the pipeline's wiring, for whoever runs the function
 * other than Lambda itself (the local stack's in-process runtime, tests, benchmarks). Importing it runs
 * nothing; the Lambda entry module, which wires everything at import, is `@eventline/lambda/entry`, and
 * the esbuild settings it is bundled with are `@eventline/lambda/bundling`.
 */
export {
  createHandler,
  type EventlineHandler,
  type HandlerOptions,
  loggerPort,
  metricsPort,
} from './handler.ts';
export { createPipeline, type PipelineWiring } from './wiring.ts';
