/** The types of the conformance cases (see `cases.ts` for the format) and the helpers they are written with. */
export interface Step {
  op: string;
  params: Record<string, unknown>;
  /** The successful answer's shape. */
  ok?: unknown;
  /** The error's name (SDK v3 `error.name`, boto3 `Error.Code`). */
  error?: string;
  /** Members of the error response (e.g. `Item`, `CancellationReasons`). */
  fields?: unknown;
}

/** `dynalite` is the engine without the emulator's layer: it shows what the layer adds, and is expected to fail those cases. */
export type Target = 'emulator' | 'moto' | 'ddblocal' | 'dynalite';

export interface Case {
  name: string;
  /** What AWS documents, in a sentence. */
  says: string;
  /** The documentation page. */
  doc: string;
  /** `indexed`: pk S with a global secondary index byG on g (S), projecting INCLUDE a. */
  table: 'hash' | 'composite' | 'indexed';
  steps: Step[];
  /** Targets known to disagree with the documentation, and how. */
  differs?: Partial<Record<Target, string>>;
}

export const API = 'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference';
export const GUIDE = 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide';

export const S = (value: string) => ({ S: value });
export const N = (value: string) => ({ N: value });
export const absent = { $absent: true };
export const put = (item: Record<string, unknown>): Step => ({
  op: 'PutItem',
  params: { TableName: '$T', Item: item },
  ok: {},
});
export const getIs = (key: Record<string, unknown>, item: unknown): Step => ({
  op: 'GetItem',
  params: { TableName: '$T', Key: key, ConsistentRead: true },
  ok: { Item: item },
});

export const A = { pk: S('a') };
export const OLD = { pk: S('a'), v: N('1'), note: S('old') };
export const CONDITION_FAILED = 'ConditionalCheckFailedException';
