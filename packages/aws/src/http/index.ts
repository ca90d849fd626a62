/**
 * The face `@eventline/aws/http`: the Lambda bundle's clients, signed requests over `node:https` without
 * SDK v3 (`createHttpClients`), and the request layer under them for the parity tests.
 */
export * from './clients.ts';
export * from './request.ts';
