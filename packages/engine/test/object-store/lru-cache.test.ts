import { describe, expect, it } from "vitest";
import { LruCache } from "../../src/object-store/index.js";

describe("LruCache", () => {
  it("evicts the least recently used entry beyond maxEntries", () => {
    const cache = new LruCache<string, number>({ maxEntries: 2 });
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1);
    cache.set("c", 3);
    expect([cache.has("a"), cache.has("b"), cache.has("c")]).toEqual([true, false, true]);
    expect(cache.size).toBe(2);
  });

  it("keeps within a byte budget and skips values larger than it", () => {
    const cache = new LruCache<string, Uint8Array>({ maxBytes: 10, sizeOf: (v) => v.length });
    cache.set("a", new Uint8Array(4));
    cache.set("b", new Uint8Array(4));
    cache.set("a", new Uint8Array(5)); // replacing updates the byte count
    expect(cache.bytes).toBe(9);
    cache.set("c", new Uint8Array(3)); // 12 > 10: evicts b (least recent)
    expect([cache.has("a"), cache.has("b"), cache.has("c"), cache.bytes]).toEqual([true, false, true, 8]);
    cache.set("huge", new Uint8Array(11));
    expect([cache.has("huge"), cache.size, cache.bytes]).toEqual([false, 2, 8]);
    expect(cache.delete("a")).toBe(true);
    expect(cache.delete("a")).toBe(false);
    cache.clear();
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
  });

  it("caches nothing with maxEntries 0", () => {
    const cache = new LruCache<string, number>({ maxEntries: 0 });
    cache.set("a", 1);
    expect(cache.get("a")).toBeUndefined();
  });
});
