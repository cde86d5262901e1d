import { describe, expect, it } from "vitest";
import { ExecutionState, parseGraph } from "../../src/graph/index.js";
import { fixtureLookup } from "./fixtures.js";
import { graphJSON, resultOf, runState } from "./run-state.js";

const lookup = fixtureLookup();

describe("ExecutionState on large graphs", () => {
  it("runs range(10000) → iterate → add → collect → sum", () => {
    const json = graphJSON(
      [
        ["r", "range", { start: 0, stop: 10_000, step: 1 }],
        ["it", "iterate"],
        ["x", "add", { b: 1 }],
        ["c", "collect"],
        ["s", "sum"],
      ],
      ["r.collection -> it.collection", "it.item -> x.a", "x.value -> c.item", "c.collection -> s.collection"],
    );
    const state = ExecutionState.create(parseGraph(json), lookup);
    const order = runState(state);
    expect(order).toHaveLength(1 + 10_000 + 10_000 + 2);
    expect(state.isComplete()).toBe(true);
    const collected = resultOf(state, "c")!.collection as number[];
    expect(collected).toHaveLength(10_000);
    expect(collected[9_999]).toBe(10_000);
    expect(resultOf(state, "s")).toEqual({ value: (10_000 * 10_001) / 2 });
  });

  it("runs a 1,000-node chain", () => {
    const nodes: [string, string, Record<string, unknown>?][] = [["n0", "integer", { value: 0 }]];
    const edges: string[] = [];
    for (let i = 1; i < 1000; i++) {
      nodes.push([`n${i}`, "add", { b: 1 }]);
      edges.push(`n${i - 1}.value -> n${i}.a`);
    }
    const state = ExecutionState.create(parseGraph(graphJSON(nodes, edges)), lookup);
    expect(runState(state)).toHaveLength(1000);
    expect(resultOf(state, "n999")).toEqual({ value: 999 });
    expect(state.executedHistory).toHaveLength(1000);
  });

  it("runs 100 × 100 nested iterations with per-outer collectors", () => {
    const json = graphJSON(
      [
        ["r", "range", { start: 0, stop: 100, step: 1 }],
        ["I", "iterate"],
        ["r2", "range", { start: 0, stop: 100, step: 1 }],
        ["J", "iterate"],
        ["v", "add"],
        ["c", "collect"],
        ["s", "sum"],
        ["c2", "collect"],
        ["total", "sum"],
      ],
      [
        "r.collection -> I.collection",
        "I.item -> v.a",
        "r2.collection -> J.collection",
        "J.item -> v.b",
        "v.value -> c.item",
        "c.collection -> s.collection",
        "s.value -> c2.item",
        "c2.collection -> total.collection",
      ],
    );
    // J does not depend on I, so v is over the product and c collapses both: one collector.
    const state = ExecutionState.create(parseGraph(json), lookup);
    runState(state);
    expect(resultOf(state, "total")).toEqual({ value: (2 * 100 * (99 * 100)) / 2 });
  });
});
