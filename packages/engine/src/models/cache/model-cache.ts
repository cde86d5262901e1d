import type { Logger } from "../../logging/logger.js";
import { ModelLoadError } from "../model-errors.js";

/** What a loader hands the cache: the model, what it costs in memory, and how to free it. */
export interface CacheableModel<M = unknown> {
  readonly model: M;
  /** Bytes the model holds (or may come to hold) in RAM; what the budget counts. */
  readonly sizeBytes: number;
  /** Frees native memory or file handles when the entry is evicted (never while locked). */
  readonly dispose?: () => void | Promise<void>;
}

/** One cache entry. */
export interface CacheRecord<M = unknown> {
  readonly key: string;
  readonly model: M;
  readonly sizeBytes: number;
  /** How many holders have it locked; a locked entry is never evicted. */
  readonly locks: number;
  /** Set once the entry left the cache; its model may have been disposed. */
  readonly evicted: boolean;
}

interface MutableRecord<M = unknown> {
  key: string;
  model: M;
  sizeBytes: number;
  locks: number;
  evicted: boolean;
  dispose?: () => void | Promise<void>;
}

/** Cache statistics (InvokeAI's CacheStats, snake_case as the `/stats` route returns them). */
export interface ModelCacheStats {
  hits: number;
  misses: number;
  /** Highest number of bytes held at once. */
  high_watermark: number;
  /** Entries held now. */
  in_cache: number;
  /** Entries evicted or cleared so far. */
  cleared: number;
  /** The RAM budget in bytes. */
  cache_size: number;
  /** Bytes held now. */
  cache_bytes: number;
  /** Times the budget was exceeded because everything else was locked. */
  over_budget: number;
  loaded_model_sizes: Record<string, number>;
}

/** Options of ModelCache. */
export interface ModelCacheOptions {
  /** The RAM budget in bytes. */
  maxBytes: number;
  logger?: Logger;
  /** Empty the cache after this many minutes without a load (0 = never; config `model_cache_keep_alive_min`). */
  keepAliveMinutes?: number;
}

const GB = 1024 ** 3;

/**
 * The default RAM budget (InvokeAI §6.5 without CUDA): half the system memory minus 2 GB, at least 4 GB and at most
 * 32 GB. `max_cache_ram_gb` replaces it.
 */
export function defaultCacheRamBytes(totalMemoryBytes: number): number {
  const heuristic = 0.5 * totalMemoryBytes - 2 * GB;
  return Math.min(Math.max(heuristic, 4 * GB), 32 * GB);
}

/**
 * The model cache's RAM tier (InvokeAI's ModelCache without the VRAM tier: inference here runs through
 * onnxruntime, which owns device memory). Entries are kept in LRU order; making room evicts the least recently used
 * *unlocked* entries. When everything is locked the cache goes over budget rather than fail the node, and counts it.
 * Concurrent loads of one key share one load.
 */
export class ModelCache {
  readonly #maxBytes: number;
  readonly #logger: Logger | undefined;
  // Map iteration order is insertion order: delete + set moves a key to the most recently used end.
  readonly #entries = new Map<string, MutableRecord>();
  readonly #inFlight = new Map<string, Promise<MutableRecord>>();
  #bytes = 0;
  #stats = { hits: 0, misses: 0, high_watermark: 0, cleared: 0, over_budget: 0 };
  readonly #keepAliveMs: number;
  #keepAliveTimer: NodeJS.Timeout | undefined;

  constructor(options: ModelCacheOptions) {
    this.#maxBytes = Math.max(0, options.maxBytes);
    this.#logger = options.logger;
    this.#keepAliveMs = (options.keepAliveMinutes ?? 0) * 60_000;
  }

  /** The RAM budget in bytes. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Bytes held now. */
  get bytesInCache(): number {
    return this.#bytes;
  }

  /** Keys held now, least recently used first. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** The entry for `key` (counts a hit and marks it most recently used), or undefined (counts a miss). */
  get<M>(key: string): CacheRecord<M> | undefined {
    const record = this.#entries.get(key);
    if (record === undefined) {
      this.#stats.misses++;
      return undefined;
    }
    this.#stats.hits++;
    this.#touch(record);
    return record as CacheRecord<M>;
  }

  /** Whether `key` is held (no statistics, no LRU change). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Adds (or replaces) an entry after making room for it. */
  put<M>(key: string, loaded: CacheableModel<M>): CacheRecord<M> {
    const old = this.#entries.get(key);
    if (old !== undefined) this.#remove(old);
    this.makeRoom(loaded.sizeBytes);
    const record: MutableRecord = {
      key,
      model: loaded.model,
      sizeBytes: loaded.sizeBytes,
      locks: 0,
      evicted: false,
      dispose: loaded.dispose,
    };
    this.#entries.set(key, record);
    this.#bytes += record.sizeBytes;
    this.#stats.high_watermark = Math.max(this.#stats.high_watermark, this.#bytes);
    this.#armKeepAlive();
    return record as CacheRecord<M>;
  }

  /**
   * The cached entry for `key`, or the result of `load` put into the cache. Callers asking for a key that is being
   * loaded wait for that load instead of starting another. A failed load caches nothing.
   */
  async getOrLoad<M>(key: string, load: () => Promise<CacheableModel<M>>): Promise<CacheRecord<M>> {
    let pending = this.#inFlight.get(key) as Promise<MutableRecord<M>> | undefined;
    if (pending !== undefined) {
      // Waiting for a load already under way counts as a hit: the model is read from disk once.
      this.#stats.hits++;
      return pending;
    }
    const cached = this.get<M>(key);
    if (cached !== undefined) return cached;
    pending = (async () => {
      try {
        return this.put(key, await load()) as MutableRecord<M>;
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, pending);
    return pending;
  }

  /** Locks an entry against eviction (an evicted entry cannot be locked: load it again). */
  lock(record: CacheRecord): void {
    const r = record as MutableRecord;
    if (r.evicted)
      throw new ModelLoadError(`model cache entry ${r.key}`, "it was evicted; load it again", { key: r.key });
    r.locks++;
    this.#touch(r);
  }

  /** Releases one lock. */
  unlock(record: CacheRecord): void {
    const r = record as MutableRecord;
    if (r.locks > 0) r.locks--;
    // An entry that was kept over budget only because it was locked may now go.
    if (r.locks === 0 && this.#bytes > this.#maxBytes) this.makeRoom(0);
  }

  /**
   * Evicts least recently used unlocked entries until `bytes` more fit in the budget. Returns whether they fit;
   * when they do not (everything left is locked), the cache goes over budget and says so in its log and stats.
   */
  makeRoom(bytes: number): boolean {
    if (this.#bytes + bytes <= this.#maxBytes) return true;
    for (const record of [...this.#entries.values()]) {
      if (this.#bytes + bytes <= this.#maxBytes) break;
      if (record.locks > 0) continue;
      this.#remove(record);
      this.#stats.cleared++;
      this.#logger?.debug(`Model cache evicted ${record.key}`, { key: record.key, bytes: record.sizeBytes });
    }
    const fits = this.#bytes + bytes <= this.#maxBytes;
    if (!fits && bytes > 0) {
      this.#stats.over_budget++;
      this.#logger?.warning("Model cache is over its RAM budget: every other model is in use", {
        needed_bytes: bytes,
        cache_bytes: this.#bytes,
        max_bytes: this.#maxBytes,
      });
    }
    return fits;
  }

  /** Drops one entry if it is unlocked; returns whether it was dropped. */
  drop(key: string): boolean {
    const record = this.#entries.get(key);
    if (record === undefined || record.locks > 0) return false;
    this.#remove(record);
    this.#stats.cleared++;
    return true;
  }

  /** Drops every unlocked entry (`empty_model_cache`); returns how many went. Locked entries stay. */
  clear(): number {
    let dropped = 0;
    for (const record of [...this.#entries.values()]) {
      if (record.locks > 0) continue;
      this.#remove(record);
      dropped++;
    }
    this.#stats.cleared += dropped;
    return dropped;
  }

  /** A snapshot of the statistics. */
  stats(): ModelCacheStats {
    const sizes: Record<string, number> = {};
    for (const record of this.#entries.values()) sizes[record.key] = record.sizeBytes;
    return {
      ...this.#stats,
      in_cache: this.#entries.size,
      cache_size: this.#maxBytes,
      cache_bytes: this.#bytes,
      loaded_model_sizes: sizes,
    };
  }

  /** Stops the keep-alive timer (the process may exit). */
  close(): void {
    if (this.#keepAliveTimer !== undefined) clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = undefined;
  }

  #touch(record: MutableRecord): void {
    this.#entries.delete(record.key);
    this.#entries.set(record.key, record);
    this.#armKeepAlive();
  }

  #remove(record: MutableRecord): void {
    if (this.#entries.get(record.key) === record) this.#entries.delete(record.key);
    this.#bytes -= record.sizeBytes;
    record.evicted = true;
    const dispose = record.dispose;
    record.dispose = undefined;
    if (dispose !== undefined) {
      Promise.resolve()
        .then(dispose)
        .catch((error: unknown) => this.#logger?.warning(`Could not free model ${record.key}`, { err: error }));
    }
  }

  #armKeepAlive(): void {
    if (this.#keepAliveMs <= 0) return;
    if (this.#keepAliveTimer !== undefined) clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = setTimeout(() => {
      const dropped = this.clear();
      if (dropped > 0)
        this.#logger?.info(`Model cache emptied after ${this.#keepAliveMs / 60_000} idle minutes`, { dropped });
    }, this.#keepAliveMs);
    this.#keepAliveTimer.unref();
  }
}
