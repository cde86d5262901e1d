import { describe, expect, it } from "vitest";
import { joinContexts } from "../../src/graph/context-join.js";
import { ReadyQueue, compareIterationPaths, type Schedulable } from "../../src/graph/ready-queue.js";

describe("ReadyQueue", () => {
  let seq = 0;
  const item = (queueKey: string, ctx: number[], name: string): Schedulable & { name: string } => ({
    queueKey,
    ctx,
    seq: seq++,
    name,
  });
  const drain = (q: ReadyQueue<Schedulable & { name: string }>): string[] => {
    const out: string[] = [];
    for (let x = q.pop(); x; x = q.pop()) out.push(x.name);
    return out;
  };

  it("orders by iteration path within a type, whatever the arrival order", () => {
    const q = new ReadyQueue<Schedulable & { name: string }>();
    for (const [ctx, name] of [
      [[2], "c"],
      [[0], "a"],
      [[1, 5], "b2"],
      [[1], "b"],
      [[3], "d"],
      [[1, 0], "b1"],
    ] as const) {
      q.push(item("add", [...ctx], name));
    }
    expect(q.size).toBe(6);
    expect(drain(q)).toEqual(["a", "b", "b1", "b2", "c", "d"]);
    expect(q.size).toBe(0);
  });

  it("drains the active type before switching to the type that became ready first", () => {
    const q = new ReadyQueue<Schedulable & { name: string }>();
    q.push(item("mul", [], "m1"));
    q.push(item("add", [], "a1"));
    q.push(item("sub", [], "s1"));
    q.push(item("add", [], "a2"));
    expect(q.pop()!.name).toBe("m1");
    q.push(item("mul", [], "m2")); // joins the active type: runs before switching
    expect(q.pop()!.name).toBe("m2");
    q.push(item("mul", [], "m3"));
    expect(drain(q)).toEqual(["m3", "a1", "a2", "s1"]);
  });

  it("keeps arrival order for equal paths across many entries", () => {
    const q = new ReadyQueue<Schedulable & { name: string }>();
    const names = Array.from({ length: 3000 }, (_, i) => `n${i}`);
    for (const n of names) q.push(item("x", [], n));
    expect(drain(q)).toEqual(names);
  });

  it("compares paths lexicographically, shorter prefix first", () => {
    expect(compareIterationPaths([], [0])).toBeLessThan(0);
    expect(compareIterationPaths([1, 2], [1, 10])).toBeLessThan(0);
    expect(compareIterationPaths([2], [1, 9])).toBeGreaterThan(0);
    expect(compareIterationPaths([4, 4], [4, 4])).toBe(0);
  });
});

describe("joinContexts", () => {
  const copies = (...ctxs: number[][]) => ctxs.map((ctx) => ({ ctx }));

  it("gives one combination outside any loop, none when an input has no copy", () => {
    const a = copies([]);
    expect(joinContexts([], [{ scope: [], copies: a }])).toEqual([{ ctx: [], picks: [a[0]] }]);
    expect(
      joinContexts(
        [],
        [
          { scope: [], copies: a },
          { scope: [], copies: [] },
        ],
      ),
    ).toEqual([]);
  });

  it("takes the cartesian product of independent iterators", () => {
    const i = copies([0], [1]);
    const j = copies([0], [1], [2]);
    const out = joinContexts(
      [0, 1],
      [
        { scope: [1], copies: j },
        { scope: [0], copies: i },
      ],
    );
    expect(out.map((c) => c.ctx)).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    expect(out[4].picks).toEqual([j[1], i[1]]);
  });

  it("matches copies on shared iterators (nested scopes)", () => {
    const outer = copies([0], [1]);
    const inner = copies([0, 0], [1, 0], [1, 1]); // iterator 1 has 1 item under outer 0, 2 under outer 1
    const out = joinContexts(
      [0, 1],
      [
        { scope: [0], copies: outer },
        { scope: [0, 1], copies: inner },
      ],
    );
    expect(out.map((c) => c.ctx)).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
    expect(out.map((c) => c.picks[0])).toEqual([outer[0], outer[1], outer[1]]);
  });

  it("joins partially overlapping scopes", () => {
    const ab = copies([0, 0], [0, 1], [1, 0]);
    const bc = copies([0, 5], [1, 6], [1, 7]);
    const out = joinContexts(
      [0, 1, 2],
      [
        { scope: [0, 1], copies: ab },
        { scope: [1, 2], copies: bc },
      ],
    );
    expect(out.map((c) => c.ctx)).toEqual([
      [0, 0, 5],
      [0, 1, 6],
      [0, 1, 7],
      [1, 0, 5],
    ]);
  });
});
