import { describe, expect, it } from "vitest";
import { sessionIdGenerator } from "../../src/session-queue/session-ids.js";

describe("sessionIdGenerator", () => {
  it("makes valid UUIDv7s that count up within a batch and differ between batches", () => {
    const uuid7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const next = sessionIdGenerator();
    const ids = Array.from({ length: 20_000 }, () => next());
    expect(ids.every((id) => uuid7.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    const other = sessionIdGenerator();
    const more = Array.from({ length: 1000 }, () => other());
    expect(more.some((id) => ids.includes(id))).toBe(false);
    // The first 48 bits are the creation time in milliseconds.
    const ms = parseInt(ids[0].slice(0, 8) + ids[0].slice(9, 13), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
  });
});
