/** Limits of an LruCache: a count of entries, a byte budget, or both. */
export interface LruCacheOptions<K, V> {
  /** Most entries kept (default: unlimited). */
  readonly maxEntries?: number;
  /** Most bytes kept, as measured by `sizeOf` (default: unlimited). */
  readonly maxBytes?: number;
  /** Size of one value in bytes (default 0: only `maxEntries` limits). */
  readonly sizeOf?: (value: V) => number;
  /** Called for each entry pushed out by the limits or by `clear()` (not by `delete`). */
  readonly onEvict?: (key: K, value: V) => void;
}

/**
 * A least-recently-used cache over a Map (whose insertion order is the recency order). A value larger than the
 * whole byte budget is not kept at all, so one huge tensor never flushes everything else.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly sizeOf: (value: V) => number;
  private readonly onEvict: ((key: K, value: V) => void) | undefined;
  private totalBytes = 0;

  constructor(options: LruCacheOptions<K, V> = {}) {
    this.maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.sizeOf = options.sizeOf ?? (() => 0);
    this.onEvict = options.onEvict;
  }

  /** Number of entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, as measured by `sizeOf`. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The value, marked as most recently used; undefined on a miss. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Whether the key is cached (does not change recency). */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Stores the value as most recently used and evicts the least recently used beyond the limits. */
  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.sizeOf(value);
    if (bytes > this.maxBytes || this.maxEntries < 1) return;
    this.entries.set(key, { value, bytes });
    this.totalBytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.totalBytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.totalBytes -= entry.bytes;
      this.onEvict?.(oldest, entry.value);
    }
  }

  /** Drops the key; returns whether it was cached. */
  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
    return true;
  }

  /** Drops everything. */
  clear(): void {
    const entries = [...this.entries];
    this.entries.clear();
    this.totalBytes = 0;
    if (this.onEvict !== undefined) for (const [key, entry] of entries) this.onEvict(key, entry.value);
  }
}
