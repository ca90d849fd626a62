import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { FunctionPool } from '@eventline/lambda-emulator';

/**
 * Where the CPU of a measurement window went, by process: this process (the emulators, the edge, the
 * event source or the asynchronous invoker, and the bench's own uploader and subscriber), the
 * function instances (the pool's worker processes), and any other child of this process (esbuild's
 * service, which tsx and the bundler start). Instances are read from `/proc/<pid>/stat`
 * (utime + stime) when the window opens, after every invocation report, every 250 ms and when it
 * closes, so an instance that exits inside the window loses at most what it used since its last
 * report; `instancesExited` says how many did. Linux only: elsewhere the child figures are absent.
 */
export interface CpuWindow {
  wallS: number;
  /** CPU seconds (user + system) of this process: `process.cpuUsage()` over the window. */
  mainS: number;
  /** CPU seconds of the function instances over the window (absent without /proc). */
  instancesS?: number;
  /** CPU seconds of this process's other children (esbuild's service), absent without /proc. */
  otherChildrenS?: number;
  /** Busy CPU seconds of the whole machine (every process, other users' included), from /proc/stat. */
  machineBusyS?: number;
  /** Instances alive at some point of the window, and those that exited inside it. */
  instancesSeen: number;
  instancesExited: number;
}

const PROC = process.platform === 'linux';
let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime (seconds) and the parent pid of a process, or undefined once it is gone. */
export function processCpu(pid: number): { cpuS: number; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: the fields after it start past the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime field 14, stime field 15.
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) return undefined;
  return { cpuS: ticks / clockTicks(), ppid };
}

/** CPU seconds of this process's children, by pid, leaving out `except`. */
function children(except: ReadonlySet<number>): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (except.has(pid)) continue;
    const cpu = processCpu(pid);
    if (cpu?.ppid === process.pid) out.set(pid, cpu.cpuS);
  }
  return out;
}

/** Busy seconds of the whole machine so far (all CPUs): /proc/stat's first line less idle and iowait. */
function machineBusy(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    void idle;
    void iowait;
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicks()
    );
  } catch {
    return undefined;
  }
}

/** Measures one window at a time; `pool` is absent when the handler runs in this process. */
export class CpuMeter {
  /** Per instance pid: CPU seconds when first seen in the window, and at the last reading. */
  private instances = new Map<number, { base: number; last: number }>();
  private exited = 0;
  private others = new Map<number, number>();
  private main: NodeJS.CpuUsage | undefined;
  private wall = 0;
  private machine: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onInstance = ({ pid }: { pid?: number }) => {
    // A new process: everything it uses (its init included) belongs to the window.
    if (pid !== undefined && !this.instances.has(pid)) this.instances.set(pid, { base: 0, last: 0 });
    this.readInstances();
  };
  private readonly onReport = () => this.readInstances();
  private readonly onExit = () => {
    this.exited += 1;
  };

  constructor(private readonly pool: FunctionPool | undefined) {}

  start(): void {
    if (this.main) throw new Error('CpuMeter: a window is already open');
    this.instances.clear();
    this.exited = 0;
    if (PROC) {
      for (const { pid } of this.pool?.list() ?? []) {
        const cpu = pid === undefined ? undefined : processCpu(pid);
        if (pid !== undefined && cpu) this.instances.set(pid, { base: cpu.cpuS, last: cpu.cpuS });
      }
      this.others = children(new Set(this.instances.keys()));
      this.machine = machineBusy();
      if (this.pool) {
        this.pool.on('instance', this.onInstance);
        this.pool.on('report', this.onReport);
        this.pool.on('exit', this.onExit);
        this.timer = setInterval(() => this.readInstances(), 250);
        this.timer.unref();
      }
    }
    this.wall = performance.now();
    this.main = process.cpuUsage();
  }

  stop(): CpuWindow {
    if (!this.main) throw new Error('CpuMeter: no window is open');
    const main = process.cpuUsage(this.main);
    const wallS = (performance.now() - this.wall) / 1000;
    this.main = undefined;
    const window: CpuWindow = {
      wallS,
      mainS: (main.user + main.system) / 1e6,
      instancesSeen: this.instances.size,
      instancesExited: this.exited,
    };
    if (!PROC) return window;
    clearInterval(this.timer);
    if (this.pool) {
      this.pool.off('instance', this.onInstance);
      this.pool.off('report', this.onReport);
      this.pool.off('exit', this.onExit);
    }
    this.readInstances();
    let instancesS = 0;
    for (const { base, last } of this.instances.values()) instancesS += last - base;
    let otherChildrenS = 0;
    for (const [pid, cpuS] of children(new Set(this.instances.keys())))
      otherChildrenS += cpuS - (this.others.get(pid) ?? 0);
    const busy = machineBusy();
    return {
      ...window,
      instancesSeen: this.instances.size,
      instancesS,
      otherChildrenS,
      ...(busy !== undefined && this.machine !== undefined ? { machineBusyS: busy - this.machine } : {}),
    };
  }

  private readInstances(): void {
    for (const { pid } of this.pool?.list() ?? []) {
      if (pid === undefined) continue;
      const cpu = processCpu(pid);
      if (!cpu) continue;
      const known = this.instances.get(pid);
      if (known) known.last = cpu.cpuS;
      else this.instances.set(pid, { base: 0, last: cpu.cpuS });
    }
  }
}
