import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { type BuildOptions, type BuildResult, context, type Plugin } from 'esbuild';

/**
 * Builds the function's bundle the way the CDK app has it built for Lambda (one ES module, minified,
 * the AWS SDK inside), into a fresh folder each time, and rebuilds it when a source changes, like
 * `sam local` or SST's dev loop: instances started after a rebuild load the new bundle; running ones
 * finish on the old. The build options come from the caller, so that local and deployed code cannot
 * differ in how they are bundled.
 */
export interface BundlerOptions {
  entry: string;
  /** A folder of the data directory; each build gets its own subfolder. */
  outRoot: string;
  build: BuildOptions;
  /** Rebuild on source changes (the dev loop); off for a one-shot build. */
  watch?: boolean;
  onRebuild?: (bundle: BuiltBundle) => void;
  onError?: (messages: string[]) => void;
}

export interface BuiltBundle {
  /** The module that exports the handler. */
  module: string;
  generation: number;
  bytes: number;
  builtAt: number;
}

export class FunctionBundler {
  private current: BuiltBundle | undefined;
  private generation = 0;
  private ctx: Awaited<ReturnType<typeof context>> | undefined;

  constructor(private readonly options: BundlerOptions) {}

  /** The newest bundle that built without errors. */
  get bundle(): BuiltBundle {
    if (!this.current) throw new Error('the function bundle has not been built yet');
    return this.current;
  }

  /** Builds once (and, with `watch`, keeps rebuilding); rejects with esbuild's messages on a failed first build. */
  async start(): Promise<BuiltBundle> {
    const outRoot = resolve(this.options.outRoot);
    await rm(outRoot, { recursive: true, force: true });
    await mkdir(outRoot, { recursive: true });
    let first: { resolve: (b: BuiltBundle) => void; reject: (e: Error) => void } | undefined;
    const firstBuild = new Promise<BuiltBundle>((resolve, reject) => {
      first = { resolve, reject };
    });
    const track: Plugin = {
      name: 'eventline-generations',
      setup: (build) => {
        build.onEnd(async (result: BuildResult) => {
          const messages = result.errors.map(
            (e) => `${e.location?.file ?? ''}:${e.location?.line ?? ''} ${e.text}`,
          );
          if (result.errors.length > 0) {
            if (first) first.reject(new Error(`the function bundle did not build:\n${messages.join('\n')}`));
            else this.options.onError?.(messages);
            first = undefined;
            return;
          }
          // Each build goes to a folder of its own: running instances keep reading theirs (source maps).
          this.generation += 1;
          const dir = join(outRoot, `g${this.generation}`);
          await mkdir(dir, { recursive: true });
          let module = '';
          let bytes = 0;
          for (const file of result.outputFiles ?? []) {
            const target = join(dir, relative(staging, file.path));
            await writeFile(target, file.contents);
            if (target.endsWith('.mjs')) {
              module = target;
              bytes = file.contents.byteLength;
            }
          }
          const bundle: BuiltBundle = { module, generation: this.generation, bytes, builtAt: Date.now() };
          this.current = bundle;
          if (first) first.resolve(bundle);
          else this.options.onRebuild?.(bundle);
          first = undefined;
        });
      },
    };
    const staging = join(outRoot, 'staging');
    this.ctx = await context({
      ...this.options.build,
      entryPoints: [this.options.entry],
      outdir: staging,
      entryNames: 'index',
      outExtension: { '.js': '.mjs' },
      metafile: true,
      write: false,
      logLevel: 'silent',
      plugins: [...(this.options.build.plugins ?? []), track],
    });
    firstBuild.catch(() => undefined); // handled by the caller; not unhandled while we await the build
    if (this.options.watch) await this.ctx.watch();
    else await this.ctx.rebuild().catch(() => undefined);
    return firstBuild;
  }

  async stop(): Promise<void> {
    await this.ctx?.dispose();
    this.ctx = undefined;
  }
}
