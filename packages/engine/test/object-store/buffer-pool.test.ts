import { describe, expect, it } from "vitest";
import { BufferPool } from "../../src/object-store/buffer-pool.js";

describe("BufferPool", () => {
  it("hands a buffer given back to the next request of the same page-rounded size", () => {
    const pool = new BufferPool();
    const first = pool.take(100_000);
    expect(first.byteLength).toBe(100_000);
    expect(first.buffer.byteLength).toBe(102_400); // 25 pages
    pool.give(first);
    expect(pool.bytes).toBe(102_400);
    const second = pool.take(101_000); // same 25 pages
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteLength).toBe(101_000);
    expect(pool.bytes).toBe(0);
    expect(pool.take(200_000).buffer).not.toBe(first.buffer); // another size gets fresh memory
  });

  it("allocates small requests plainly and ignores buffers it cannot have made", () => {
    const pool = new BufferPool({ minBytes: 65_536 });
    const small = pool.take(1000);
    expect(small.buffer.byteLength).toBe(1000);
    pool.give(small);
    pool.give(new Uint8Array(new ArrayBuffer(100_000))); // not whole pages
    pool.give(new Uint8Array(new ArrayBuffer(131_072), 4096)); // a view into the middle
    expect(pool.bytes).toBe(0);
  });

  it("keeps at most maxFreeBytes of free buffers", () => {
    const pool = new BufferPool({ maxFreeBytes: 3 * 65_536 });
    const buffers = [1, 2, 3, 4].map(() => pool.take(65_536));
    for (const b of buffers) pool.give(b);
    expect(pool.bytes).toBe(3 * 65_536);
    pool.clear();
    expect(pool.bytes).toBe(0);
  });
});
