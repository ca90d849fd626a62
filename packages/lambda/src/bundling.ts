/**
 * How the Lambda entry (index.ts) is bundled, in one place: the CDK app's NodejsFunction
 * (packages/infra PipelineFunction), the local stack's function instances (packages/local
 * runtime/bundler.ts) and the bench all take these settings, so local and deployed code cannot differ
 * in how they are built. One ES module, minified, AWS SDK v3 inside (nothing external but Node
 * built-ins), `module` before `main`, and a banner that gives bundled CommonJS code a `require`.
 * The target is the runtime infra deploys (nodejs24.x).
 */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  minify: true,
  /** esbuild's target for the deployed runtime (Runtime.NODEJS_24_X). */
  target: 'node24',
  mainFields: ['module', 'main'],
  sourceMap: true,
  sourcesContent: false,
  /** CommonJS dependencies bundled into an ES module still call require() for Node built-ins. */
  banner:
    "import { createRequire as __eventlineCreateRequire } from 'node:module'; const require = __eventlineCreateRequire(import.meta.url);",
} as const;

/** The same settings as esbuild's own build options (a plain object: this package does not import esbuild). */
export function lambdaEsbuildOptions(): {
  bundle: true;
  platform: 'node';
  format: 'esm';
  minify: boolean;
  target: string;
  mainFields: string[];
  sourcemap: 'external';
  sourcesContent: boolean;
  banner: { js: string };
  logLevel: 'silent';
} {
  return {
    bundle: true,
    platform: 'node',
    format: LAMBDA_BUNDLING.format,
    minify: LAMBDA_BUNDLING.minify,
    target: LAMBDA_BUNDLING.target,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    sourcemap: 'external',
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    banner: { js: LAMBDA_BUNDLING.banner },
    logLevel: 'silent',
  };
}
