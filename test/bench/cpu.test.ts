import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CpuMeter, processCpu } from '../../bench/lib/cpu.ts';

/**
 * Figure 8's CPU accounting (bench/lib/cpu.ts) against real processes: /proc readings of this process
 * and of a child that burns CPU, and a window without instances. No timing is asserted: only that CPU
 * spent shows up where it was spent.
 */
describe.runIf(process.platform === 'linux')('bench CPU accounting', () => {
  it('reads a process’s user + system CPU and its parent from /proc', () => {
    // Act
    const self = processCpu(process.pid);
    // Assert
    expect(self?.ppid).toBe(process.ppid);
    expect(self?.cpuS).toBeGreaterThan(0);
  });

  it('counts a child’s CPU while it runs, and nothing once it is gone', async () => {
    // Prepare: a child that spins until it has used 200 ms of CPU, then waits to be told to exit.
    const child = spawn(
      process.execPath,
      [
        '-e',
        'const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) < 200000) {} process.send("spun"); process.on("message", () => process.exit(0));',
      ],
      { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
    );
    await once(child, 'message');
    // Act
    const running = processCpu(child.pid!);
    child.send('exit');
    await once(child, 'exit');
    const gone = processCpu(child.pid!);
    // Assert
    expect(running?.ppid).toBe(process.pid);
    expect(running?.cpuS).toBeGreaterThanOrEqual(0.19);
    expect(gone).toBeUndefined();
  });

  it('puts a window’s CPU in the main process when there is no pool of instances', () => {
    // Prepare
    const meter = new CpuMeter(undefined);
    meter.start();
    const spin = process.cpuUsage();
    // Act: spin until this process has used 50 ms of CPU (bounded by the CPU it uses, not by time).
    while (process.cpuUsage(spin).user + process.cpuUsage(spin).system < 50_000) {
      // busy
    }
    const window = meter.stop();
    // Assert
    expect(window.mainS).toBeGreaterThanOrEqual(0.05);
    expect(window.instancesS).toBe(0);
    expect(window.instancesSeen).toBe(0);
    expect(window.wallS).toBeGreaterThan(0);
    expect(() => meter.stop()).toThrow(/no window is open/);
  });
});
