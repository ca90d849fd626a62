// One function instance: a separate Node.js process that loads the handler module once (the init
// phase) and then runs one invocation at a time, as a Lambda execution environment does. Plain
// JavaScript on purpose: it runs the bundle the CDK app deploys, with no TypeScript loader in between.
// The parent (function-pool.ts) talks to it over the IPC channel:
//   parent -> { type: 'invoke', requestId, event, deadline, context }
//   worker -> { type: 'ready', initMs } | { type: 'init-error', error } | { type: 'result', requestId, ... }
// Before a result, the worker ends the invocation's output with a marker line on stdout and stderr
// (END_MARKER + requestId): the parent answers once it has read both, so every line the invocation
// printed is read before its result is used (the stack learns a batch's failure reasons there).
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

// Ctrl-C in a terminal signals the whole process group: the pool starts instances in their own
// group (function-pool.ts), and this covers a SIGINT sent to the group anyway. The parent decides
// when an invocation is cut (after its grace period, `eventline start`); this instance goes when the
// parent retires it or goes away (the IPC channel closes: 'disconnect' below).
process.on('SIGINT', () => {});

// The parent can die without a word (SIGKILL, a crash): its IPC channel then closes and this instance
// exits ('disconnect', registered before the handler's import so that a death during init is heard
// too). An invocation that never yields to the event loop would not hear it: a watchdog thread ends
// the instance once it is no longer the parent's child (reparented: its parent id changed).
process.on('disconnect', () => process.exit(0));
new Worker(
  `const { workerData } = require('node:worker_threads');
  setInterval(() => { if (process.ppid !== workerData.ppid) process.kill(workerData.pid, 'SIGKILL'); }, 500);`,
  {
    eval: true,
    workerData: { ppid: process.ppid, pid: process.pid },
    resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 },
  },
).unref();

const handlerPath = process.env.EVENTLINE_HANDLER_MODULE;
const exportName = process.env.EVENTLINE_HANDLER_EXPORT || 'handler';

/** An error as Lambda reports it: errorType, errorMessage, trace (cause chain kept in the message). */
function describe(error) {
  if (error instanceof Error) {
    const trace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
    return { errorType: error.name || 'Error', errorMessage: error.message, trace };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

function send(message) {
  if (process.connected) process.send(message);
}

const END_MARKER = '\u001eeventline:end ';

function endOutput(requestId) {
  process.stdout.write(`${END_MARKER}${requestId}\n`);
  process.stderr.write(`${END_MARKER}${requestId}\n`);
}

let handler;
const initStarted = performance.now();
try {
  if (!handlerPath) throw new Error('EVENTLINE_HANDLER_MODULE is not set');
  const module = await import(pathToFileURL(handlerPath).href);
  handler = module[exportName];
  if (typeof handler !== 'function') {
    const error = new Error(`${handlerPath} does not export a function named "${exportName}"`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  send({ type: 'ready', initMs: performance.now() - initStarted });
} catch (error) {
  const described = describe(error);
  if (described.errorType === 'Error') described.errorType = 'Runtime.ImportModuleError';
  send({ type: 'init-error', error: described, initMs: performance.now() - initStarted });
  process.exitCode = 1;
  process.disconnect?.();
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke' || !handler) return;
  const { requestId, event, deadline, context: fields } = message;
  const context = {
    ...fields,
    awsRequestId: requestId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const started = performance.now();
  try {
    const value = await handler(event, context);
    endOutput(requestId);
    send({
      type: 'result',
      requestId,
      ok: true,
      value: value === undefined ? null : value,
      durationMs: performance.now() - started,
      rssBytes: process.memoryUsage().rss,
    });
  } catch (error) {
    endOutput(requestId);
    send({
      type: 'result',
      requestId,
      ok: false,
      error: describe(error),
      durationMs: performance.now() - started,
      rssBytes: process.memoryUsage().rss,
    });
  }
});
