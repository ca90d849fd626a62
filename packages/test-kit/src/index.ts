/**
 * The face of @eventline/test-kit: what the test suites share (moto_server, free ports, the aws CLI's
 * environment, conformance matchers). Imports nothing of eventline; a devDependency only.
 */
export { awsCliEnv } from './aws-cli.ts';
export {
  conformanceTarget,
  type DocumentedCase,
  documentedCase,
  runPythonJson,
} from './conformance.ts';
export { mismatches } from './match.ts';
export {
  findExecutable,
  MOTO_INSTALL,
  type Moto,
  type MotoOptions,
  MotoUnavailableError,
  startMoto,
} from './moto.ts';
export { freePort } from './ports.ts';
