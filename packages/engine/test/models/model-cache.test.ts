import { describe, expect, it } from "vitest";
import { CachedModel, defaultCacheRamBytes, ModelCache, type CacheableModel } from "@atelier/engine";

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** A fake model with a size, counting loads and disposals (no GPU or weights needed to test the cache). */
function fakeLoader(sizes: Record<string, number>) {
  const loads: string[] = [];
  const disposed: string[] = [];
  const load = (key: string) => async (): Promise<CacheableModel<{ key: string }>> => {
    loads.push(key);
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { model: { key }, sizeBytes: sizes[key] ?? MB, dispose: () => void disposed.push(key) };
  };
  return { loads, disposed, load };
}

async function handle(
  cache: ModelCache,
  key: string,
  load: () => Promise<CacheableModel<{ key: string }>>,
): Promise<CachedModel<{ key: string }>> {
  const reload = () => cache.getOrLoad(key, load);
  return new CachedModel(await reload(), cache, reload);
}

describe("ModelCache", () => {
  it("keeps within its RAM budget under many loads, evicting least recently used first", async () => {
    const cache = new ModelCache({ maxBytes: 10 * MB });
    const sizes = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`m${i}`, (1 + (i % 4)) * MB]));
    const { load, disposed } = fakeLoader(sizes);
    let peak = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 40; i++) {
        await cache.getOrLoad(`m${i}`, load(`m${i}`));
        peak = Math.max(peak, cache.bytesInCache);
        expect(cache.bytesInCache).toBeLessThanOrEqual(10 * MB);
      }
    }
    const stats = cache.stats();
    expect(stats.high_watermark).toBe(peak);
    expect(stats.high_watermark).toBeLessThanOrEqual(10 * MB);
    expect(stats.cleared).toBe(disposed.length);
    expect(stats.over_budget).toBe(0);

    // LRU: touching m39 keeps it when room is made for a new model; the oldest goes first.
    const before = cache.keys();
    cache.get(before[0]);
    await cache.getOrLoad("newcomer", load("newcomer"));
    expect(cache.has(before[0])).toBe(true);
    expect(cache.has(before[1])).toBe(false);
  });

  it("never evicts a locked entry, and goes over budget (counted) rather than fail when all are locked", async () => {
    const cache = new ModelCache({ maxBytes: 3 * MB });
    const { load, disposed } = fakeLoader({ a: 2 * MB, b: 2 * MB, c: 2 * MB });
    const a = await handle(cache, "a", load("a"));
    const lockedA = await a.lock();
    await cache.getOrLoad("b", load("b"));
    expect(cache.keys()).toEqual(["a", "b"]);
    expect(cache.stats().over_budget).toBe(1);
    await cache.getOrLoad("c", load("c"));
    // b (unlocked) made way for c; a stayed although it is the oldest.
    expect(cache.keys()).toEqual(["a", "c"]);
    expect(disposed).toEqual(["b"]);
    lockedA.release();
    lockedA.release(); // idempotent
    // Unlocking an entry kept over budget lets the cache shrink back.
    expect(cache.bytesInCache).toBeLessThanOrEqual(3 * MB);
    expect(cache.keys()).toEqual(["c"]);
  });

  it("loads a key once when many ask for it at the same time", async () => {
    const cache = new ModelCache({ maxBytes: 100 * MB });
    const { load, loads } = fakeLoader({ big: 10 * MB });
    const records = await Promise.all(Array.from({ length: 8 }, () => cache.getOrLoad("big", load("big"))));
    expect(loads).toEqual(["big"]);
    expect(new Set(records).size).toBe(1);
    expect(cache.stats()).toMatchObject({ misses: 1, hits: 7, in_cache: 1 });
    await cache.getOrLoad("big", load("big"));
    expect(cache.stats().hits).toBe(8);
  });

  it("caches nothing when a load fails, and the next call tries again", async () => {
    const cache = new ModelCache({ maxBytes: 100 * MB });
    let attempt = 0;
    const flaky = async (): Promise<CacheableModel<number>> => {
      attempt++;
      if (attempt === 1) throw new Error("disk on fire");
      return { model: attempt, sizeBytes: MB };
    };
    await expect(cache.getOrLoad("k", flaky)).rejects.toThrow("disk on fire");
    expect(cache.has("k")).toBe(false);
    expect((await cache.getOrLoad("k", flaky)).model).toBe(2);
  });

  it("releases locks when the code using the model throws (use() and await using)", async () => {
    const cache = new ModelCache({ maxBytes: 100 * MB });
    const { load } = fakeLoader({ a: MB });
    const a = await handle(cache, "a", load("a"));
    await expect(
      a.use(async (model) => {
        expect(cache.stats().loaded_model_sizes).toEqual({ a: MB });
        expect(model.key).toBe("a");
        throw new Error("node failed");
      }),
    ).rejects.toThrow("node failed");
    expect(cache.clear()).toBe(1); // unlocked, so empty_model_cache can drop it

    const b = await handle(cache, "b", load("b"));
    const run = async () => {
      await using locked = await b.lock();
      expect(cache.drop("b")).toBe(false); // locked: stays
      void locked.model;
      throw new Error("boom");
    };
    await expect(run()).rejects.toThrow("boom");
    expect(cache.drop("b")).toBe(true);
  });

  it("reloads a model that was evicted while unlocked when it is locked again", async () => {
    const cache = new ModelCache({ maxBytes: 2 * MB });
    const { load, loads } = fakeLoader({ a: 2 * MB, b: 2 * MB });
    const a = await handle(cache, "a", load("a"));
    await cache.getOrLoad("b", load("b")); // evicts a
    expect(cache.has("a")).toBe(false);
    const value = await a.use((model) => model.key);
    expect(value).toBe("a");
    expect(loads).toEqual(["a", "b", "a"]);
  });

  it("empties itself except for locked entries, and reports its statistics", async () => {
    const cache = new ModelCache({ maxBytes: 100 * MB });
    const { load } = fakeLoader({ a: MB, b: 2 * MB });
    const a = await handle(cache, "a", load("a"));
    await handle(cache, "b", load("b"));
    const locked = await a.lock();
    expect(cache.clear()).toBe(1);
    expect(cache.stats()).toMatchObject({
      in_cache: 1,
      cache_bytes: MB,
      cache_size: 100 * MB,
      loaded_model_sizes: { a: MB },
      cleared: 1,
    });
    locked.release();
  });

  it("defaults its budget from system memory as InvokeAI does (half minus 2 GB, 4-32 GB)", () => {
    expect(defaultCacheRamBytes(64 * GB)).toBe(30 * GB);
    expect(defaultCacheRamBytes(8 * GB)).toBe(4 * GB);
    expect(defaultCacheRamBytes(256 * GB)).toBe(32 * GB);
  });
});
