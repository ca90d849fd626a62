/**
 * A first-come-first-served read/write lock: readers share, a writer is alone. Every write through
 * the emulator holds it exclusively, so a condition failure's `ALL_OLD` read, a transaction's
 * checks and writes, and its rollback are atomic with respect to every other request.
 */
export class ReadWriteLock {
  private readers = 0;
  private writing = false;
  private readonly waiting: { write: boolean; grant: () => void }[] = [];

  read<T>(work: () => Promise<T>): Promise<T> {
    return this.hold(false, work);
  }

  write<T>(work: () => Promise<T>): Promise<T> {
    return this.hold(true, work);
  }

  private async hold<T>(write: boolean, work: () => Promise<T>): Promise<T> {
    await new Promise<void>((grant) => {
      this.waiting.push({ write, grant });
      this.next();
    });
    try {
      return await work();
    } finally {
      if (write) this.writing = false;
      else this.readers -= 1;
      this.next();
    }
  }

  private next(): void {
    while (this.waiting.length > 0 && !this.writing) {
      const head = this.waiting[0] as { write: boolean; grant: () => void };
      if (head.write) {
        if (this.readers > 0) return;
        this.waiting.shift();
        this.writing = true;
        head.grant();
        return;
      }
      this.waiting.shift();
      this.readers += 1;
      head.grant();
    }
  }
}
