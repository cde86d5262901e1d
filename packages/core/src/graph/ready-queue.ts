/** What the ready queue needs from an entry: its queue (node type), iteration path and enqueue sequence. */
export interface Schedulable {
  readonly ctx: readonly number[];
  readonly queueKey: string;
  seq: number;
}

/** Lexicographic order of iteration paths, a shorter prefix first. */
export function compareIterationPaths(a: readonly number[], b: readonly number[]): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function before(a: Schedulable, b: Schedulable): boolean {
  const c = compareIterationPaths(a.ctx, b.ctx);
  return c < 0 || (c === 0 && a.seq < b.seq);
}

/**
 * A priority queue by (iteration path, sequence). Nodes mostly become ready already in order, so entries that
 * arrive in order go to a plain array (O(1)); only out-of-order arrivals go to a binary heap.
 */
class PathQueue<T extends Schedulable> {
  private readonly run: T[] = [];
  private head = 0;
  private readonly heap: T[] = [];

  get size(): number {
    return this.run.length - this.head + this.heap.length;
  }

  peek(): T | undefined {
    const r = this.head < this.run.length ? this.run[this.head] : undefined;
    const h = this.heap[0];
    if (!r) return h;
    if (!h) return r;
    return before(h, r) ? h : r;
  }

  push(item: T): void {
    if (this.head === this.run.length || !before(item, this.run[this.run.length - 1])) {
      if (this.head === this.run.length) {
        this.run.length = 0;
        this.head = 0;
      }
      this.run.push(item);
    } else {
      this.heapPush(item);
    }
  }

  pop(): T | undefined {
    const r = this.head < this.run.length ? this.run[this.head] : undefined;
    const h = this.heap[0];
    if (r && (!h || !before(h, r))) {
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.run.length) {
        this.run.splice(0, this.head);
        this.head = 0;
      }
      return r;
    }
    return h ? this.heapPop() : undefined;
  }

  private heapPush(item: T): void {
    const a = this.heap;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  private heapPop(): T | undefined {
    const a = this.heap;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Ready nodes, one queue per node type (InvokeAI's class batching: fewer model swaps). The active queue is drained
 * before switching; the next queue is the one whose head became ready first. Within a queue, nodes run in
 * iteration-path order, then in the order they became ready.
 */
export class ReadyQueue<T extends Schedulable> {
  private readonly queues = new Map<string, PathQueue<T>>();
  private active: PathQueue<T> | undefined;
  private count = 0;

  /** Number of ready entries. */
  get size(): number {
    return this.count;
  }

  /** Adds an entry (its `seq` must already be set). */
  push(item: T): void {
    let q = this.queues.get(item.queueKey);
    if (!q) {
      q = new PathQueue<T>();
      this.queues.set(item.queueKey, q);
    }
    q.push(item);
    this.count++;
  }

  /** Removes and returns the next entry, or undefined when none is ready. */
  pop(): T | undefined {
    if (this.count === 0) return undefined;
    if (!this.active || this.active.size === 0) {
      let best: PathQueue<T> | undefined;
      for (const q of this.queues.values()) {
        const head = q.peek();
        if (head && (!best || head.seq < best.peek()!.seq)) best = q;
      }
      this.active = best;
    }
    this.count--;
    return this.active!.pop();
  }
}
