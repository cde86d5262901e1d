import type {
  LoadedModel,
  LoadedModelWithoutConfig,
  LockedModel,
  ModelConfigRecord,
  SubModelType,
} from "@atelier/core";
import type { CacheRecord, ModelCache } from "./model-cache.js";

/** Brings a key back into the cache after it was evicted (a fresh load through the same loader). */
export type CacheReloader<M> = () => Promise<CacheRecord<M>>;

/**
 * A model held by the cache (InvokeAI's LoadedModelWithoutConfig). `lock()` / `use()` keep it from being evicted;
 * both re-load it if it was evicted while nobody held a lock.
 */
export class CachedModel<M = unknown> implements LoadedModelWithoutConfig<M> {
  #record: CacheRecord<M>;
  readonly #cache: ModelCache;
  readonly #reload: CacheReloader<M>;

  constructor(record: CacheRecord<M>, cache: ModelCache, reload: CacheReloader<M>) {
    this.#record = record;
    this.#cache = cache;
    this.#reload = reload;
  }

  /** The cache key (`key[:submodel]`, or the path of a local model). */
  get cacheKey(): string {
    return this.#record.key;
  }

  get model(): M {
    return this.#record.model;
  }

  async lock(): Promise<LockedModel<M>> {
    // Another load may evict a fresh entry before this continuation runs; go round until the lock is taken.
    while (this.#record.evicted) this.#record = await this.#reload();
    const record = this.#record;
    const cache = this.#cache;
    cache.lock(record);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      cache.unlock(record);
    };
    return {
      model: record.model,
      release,
      [Symbol.dispose]: release,
      [Symbol.asyncDispose]: async () => release(),
    };
  }

  async use<T>(fn: (model: M) => Promise<T> | T): Promise<T> {
    await using locked = await this.lock();
    return await fn(locked.model);
  }
}

/** A cached model loaded from the records, with its config (InvokeAI's LoadedModel). */
export class CachedConfiguredModel<M = unknown> extends CachedModel<M> implements LoadedModel<M> {
  readonly config: ModelConfigRecord;
  readonly submodelType: SubModelType | null;

  constructor(
    config: ModelConfigRecord,
    submodelType: SubModelType | null,
    record: CacheRecord<M>,
    cache: ModelCache,
    reload: CacheReloader<M>,
  ) {
    super(record, cache, reload);
    this.config = config;
    this.submodelType = submodelType;
  }
}
