/**
 * The progress display: on a terminal, one status line rewritten in place (phase, step, elapsed,
 * and a bar when the total is known), finished lines printed above it; elsewhere (CI, a pipe),
 * plain lines and no more than one update line every few seconds.
 */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Prints nothing at all (the smoke test). */
  silent?: boolean;
}

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly silent: boolean;
  private readonly started = Date.now();
  private phase = '';
  private status = '';
  private lastPlain = 0;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.silent = options.silent ?? false;
  }

  /** Starts a named phase (a figure). */
  begin(phase: string): void {
    this.phase = phase;
    this.status = '';
    this.line(`▶ ${phase}`);
  }

  /** Updates the status line: `done` of `total` (a bar), or a free text. */
  update(text: string, done?: number, total?: number): void {
    if (this.silent) return;
    const bar = done !== undefined && total ? ` ${renderBar(done / total)} ${done}/${total}` : '';
    this.status = `  ${this.phase} · ${text}${bar} · ${this.elapsed()}`;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${this.status.slice(0, (this.stream.columns ?? 120) - 1)}`);
    } else if (Date.now() - this.lastPlain > 5_000) {
      this.lastPlain = Date.now();
      this.stream.write(`${this.status}\n`);
    }
  }

  /** Prints a finished line (above the status line on a terminal). */
  line(text: string): void {
    if (this.silent) return;
    if (this.tty) this.stream.write('\r\x1b[2K');
    this.stream.write(`${text}\n`);
  }

  /** Ends the phase with a one-line result. */
  done(text: string): void {
    this.line(`  ✓ ${text} (${this.elapsed()})`);
  }

  elapsed(): string {
    const s = Math.round((Date.now() - this.started) / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  }
}

function renderBar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
