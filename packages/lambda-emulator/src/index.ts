/**
 * A local AWS Lambda, usable without the rest of eventline: function instances as worker processes
 * (`FunctionPool`), the bundle and its rebuild-on-change dev loop (`FunctionBundler`), the SQS event
 * source mapping (`SqsEventSource`), asynchronous invocation with its retries and on-failure destination
 * (`AsyncInvoker`, journaled by `EventJournal`), the Invoke API (`createLambdaInvokeRoute`), and readers
 * for what instances print (Powertools log lines, CloudWatch EMF metrics).
 */
export { type BuiltBundle, type BundlerOptions, FunctionBundler } from './bundler.ts';
export {
  FunctionError,
  FunctionPool,
  type FunctionPoolOptions,
  type InstanceInfo,
  type InstanceState,
  type InvocationReport,
  type LambdaErrorShape,
} from './function-pool.ts';
export { createLambdaInvokeRoute, type LambdaInvokeOptions, type LambdaInvokeRoute } from './invoke-api.ts';
export {
  AsyncInvoker,
  type FailureKind,
  type InvocationResult,
  type InvokerLogger,
  type InvokerOptions,
  MAX_FUNCTION_TIMEOUT_MS,
  type OnFailureRecord,
} from './invoker.ts';
export { EventJournal, type JournalEntry } from './journal.ts';
export { parseEmfLine, parsePowertoolsLine } from './log-lines.ts';
export { lambdaNodeFlags } from './node-flags.ts';
export {
  type BatchReport,
  partialFailures,
  type SqsEvent,
  type SqsEventRecord,
  SqsEventSource,
  type SqsEventSourceOptions,
  type SqsRecordAttribute,
} from './sqs-event-source.ts';
