/**
 * The face `@eventline/aws/http`: the Lambda bundle's clients, signed requests over `node:https` without
 * SDK v3 (`createHttpClients`), and the layers under them (the requester; endpoint and credentials; the
 * retry policy; the transport; the errors) for the parity tests.
 */
export * from './clients.ts';
export * from './endpoint.ts';
export * from './errors.ts';
export * from './request.ts';
export * from './retry-policy.ts';
export * from './transport.ts';
