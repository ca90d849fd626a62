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

/**
 * The emulator's locking: table operations run alone; everything else runs beside each other,
 * except that work on the same item waits its turn, per item (readers share, a writer is alone).
 * Several items are taken in sorted order, so two holders never wait on each other in a cycle.
 */
export class Locks {
  private readonly all = new ReadWriteLock();
  private readonly perItem = new Map<string, { lock: ReadWriteLock; users: number }>();

  /** Nothing else runs meanwhile (CreateTable, DeleteTable, UpdateTimeToLive…). */
  alone<T>(work: () => Promise<T>): Promise<T> {
    return this.all.write(work);
  }

  /** Runs beside everything but work that runs alone (Query, Scan, ListTables…). */
  shared<T>(work: () => Promise<T>): Promise<T> {
    return this.all.read(work);
  }

  /** Holds `items` (identities from itemIdentity) for writing or for reading. */
  items<T>(items: string[], write: boolean, work: () => Promise<T>): Promise<T> {
    const names = [...new Set(items)].sort();
    const take = (index: number): Promise<T> => {
      const name = names[index];
      if (name === undefined) return work();
      let entry = this.perItem.get(name);
      if (!entry) {
        entry = { lock: new ReadWriteLock(), users: 0 };
        this.perItem.set(name, entry);
      }
      entry.users += 1;
      const held = entry;
      const next = () => take(index + 1);
      return (write ? held.lock.write(next) : held.lock.read(next)).finally(() => {
        held.users -= 1;
        if (held.users === 0) this.perItem.delete(name);
      });
    };
    return this.all.read(() => take(0));
  }
}
