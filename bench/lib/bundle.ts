import { lambdaEsbuildOptions } from '@eventline/lambda/bundling';
import { type BuildOptions, build, type Metafile } from 'esbuild';

/**
 * esbuild the way packages/infra/src/constructs/pipeline-function.ts has CDK's NodejsFunction bundle the
 * handler: the settings are @eventline/lambda/bundling.ts, shared with the CDK app and the local stack.
 */
export const LAMBDA_BUNDLE: BuildOptions = lambdaEsbuildOptions();

export interface BundleResult {
  outfile: string;
  bytes: number;
  metafile: Metafile;
}

export async function bundle(
  entry: string,
  outfile: string,
  overrides: {
    minify?: boolean;
    target?: string;
    alias?: Record<string, string>;
    /** Constants esbuild substitutes, as infra defines the validated config (packages/config/src/bundled.ts). */
    define?: Record<string, string>;
  } = {},
): Promise<BundleResult> {
  const result = await build({
    ...LAMBDA_BUNDLE,
    ...overrides,
    entryPoints: [entry],
    outfile,
    metafile: true,
  });
  const metafile = result.metafile!;
  const output = Object.entries(metafile.outputs).find(([name]) => /\.m?js$/.test(name));
  return { outfile, bytes: output?.[1].bytes ?? 0, metafile };
}

/** Bytes in the output by package (node_modules name) or by project folder, largest first. */
export function bytesByPackage(metafile: Metafile): Array<{ name: string; bytes: number }> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name =
        match?.[1] ??
        input
          .replace(/^(\.\.\/)+/, '')
          .split('/')
          .slice(0, 2)
          .join('/');
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}
