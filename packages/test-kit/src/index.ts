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
