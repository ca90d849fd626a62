/** A binary min-heap of `{ at, id }`: the next hidden message to become visible comes out first. */
export interface HeapEntry {
  at: number;
  id: string;
}

export class VisibilityHeap {
  readonly #items: HeapEntry[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): HeapEntry | undefined {
    return this.#items[0];
  }

  push(entry: HeapEntry): void {
    const items = this.#items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as HeapEntry).at <= entry.at) break;
      items[i] = items[parent] as HeapEntry;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): HeapEntry | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child =
        right < items.length && (items[right] as HeapEntry).at < (items[left] as HeapEntry).at ? right : left;
      if ((items[child] as HeapEntry).at >= last.at) break;
      items[i] = items[child] as HeapEntry;
      i = child;
    }
    items[i] = last;
    return top;
  }

  clear(): void {
    this.#items.length = 0;
  }
}
