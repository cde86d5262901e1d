import { describe, expect, it } from "vitest";
import { ExecutionState, parseGraph } from "../../src/graph/index.js";
import { fixtureLookup } from "./fixtures.js";
import { graphJSON, resultOf, runState } from "./run-state.js";

const lookup = fixtureLookup();

function start(nodes: Parameters<typeof graphJSON>[0], edges: string[] = []): ExecutionState {
  return ExecutionState.create(parseGraph(graphJSON(nodes, edges)), lookup, { id: "s" });
}

/** cond = a > b; t1 → t2 → if.true_input; f1 → f2 → if.false_input; out = if.value + 0 */
function branches(a: number, b: number): ExecutionState {
  return start(
    [
      ["t1", "integer", { value: 10 }],
      ["t2", "add", { b: 1 }],
      ["f1", "integer", { value: 20 }],
      ["f2", "add", { b: 2 }],
      ["a", "integer", { value: a }],
      ["b", "integer", { value: b }],
      ["g", "greater"],
      ["f", "if"],
      ["out", "add", { b: 0 }],
    ],
    [
      "t1.value -> t2.a",
      "f1.value -> f2.a",
      "a.value -> g.a",
      "b.value -> g.b",
      "g.value -> f.condition",
      "t2.value -> f.true_input",
      "f2.value -> f.false_input",
      "f.value -> out.a",
    ],
  );
}

describe("ExecutionState: lazy if", () => {
  it("runs only the true branch, deferring both branches until the condition is known", () => {
    const state = branches(5, 3);
    const order = runState(state);
    expect(order).toEqual(["a", "b", "g", "t1", "t2", "f", "out"]);
    expect(resultOf(state, "out")).toEqual({ value: 11 });
    expect(state.statusOf("f1")).toBe("skipped");
    expect(state.statusOf("f2")).toBe("skipped");
    expect(state.results.has("f1")).toBe(false);
    expect(state.isComplete()).toBe(true);
    expect(state.executedHistory).toEqual(expect.arrayContaining(["f1", "f2"]));
  });

  it("runs only the false branch when the condition is false", () => {
    const state = branches(1, 3);
    expect(runState(state)).toEqual(["a", "b", "g", "f1", "f2", "f", "out"]);
    expect(resultOf(state, "out")).toEqual({ value: 22 });
    expect(state.statusOf("t1")).toBe("skipped");
    expect(state.statusOf("t2")).toBe("skipped");
  });

  it("hands the if node its condition and the selected input only", () => {
    const state = branches(5, 3);
    runState(state, { maxSteps: 5 });
    const f = state.next()!;
    expect(f.node).toEqual({ id: "f", type: "if", condition: true, true_input: 11 });
  });

  it("resolves a literal condition at once, never running the other branch", () => {
    const state = start(
      [
        ["t", "integer", { value: 1 }],
        ["e", "integer", { value: 2 }],
        ["f", "if", { condition: false }],
      ],
      ["t.value -> f.true_input", "e.value -> f.false_input"],
    );
    expect(runState(state)).toEqual(["e", "f"]);
    expect(resultOf(state, "f")).toEqual({ value: 2 });
    expect(state.statusOf("t")).toBe("skipped");
  });

  it("still runs an unselected-branch node that also feeds something else", () => {
    const state = start(
      [
        ["s", "integer", { value: 3 }],
        ["t", "integer", { value: 1 }],
        ["f", "if", { condition: true }],
        ["other", "add", { b: 1 }],
      ],
      ["s.value -> f.false_input", "s.value -> other.a", "t.value -> f.true_input"],
    );
    const order = runState(state);
    expect(order).toContain("s");
    expect(resultOf(state, "other")).toEqual({ value: 4 });
    expect(resultOf(state, "f")).toEqual({ value: 1 });
  });

  it("skips a nested if and all it needs when its outer branch is not taken", () => {
    const nested = (outer: boolean, inner: boolean): ExecutionState =>
      start(
        [
          ["c2", "boolean", { value: inner }],
          ["x", "integer", { value: 1 }],
          ["y", "integer", { value: 2 }],
          ["F2", "if"],
          ["z", "integer", { value: 3 }],
          ["F1", "if", { condition: outer }],
        ],
        [
          "c2.value -> F2.condition",
          "x.value -> F2.true_input",
          "y.value -> F2.false_input",
          "F2.value -> F1.true_input",
          "z.value -> F1.false_input",
        ],
      );
    const off = nested(false, true);
    expect(runState(off)).toEqual(["z", "F1"]);
    for (const id of ["c2", "x", "y", "F2"]) expect(off.statusOf(id)).toBe("skipped");
    expect(resultOf(off, "F1")).toEqual({ value: 3 });

    const on = nested(true, false);
    expect(runState(on)).toEqual(["c2", "y", "F2", "F1"]);
    expect(on.statusOf("x")).toBe("skipped");
    expect(on.statusOf("z")).toBe("skipped");
    expect(resultOf(on, "F1")).toEqual({ value: 2 });
  });

  it("chooses per iteration inside a loop", () => {
    const state = start(
      [
        ["r", "range", { start: 0, stop: 3, step: 1 }],
        ["it", "iterate"],
        ["one", "integer", { value: 1 }],
        ["g", "greater"],
        ["t", "mul", { b: 10 }],
        ["e", "add", { b: 100 }],
        ["f", "if"],
        ["c", "collect"],
      ],
      [
        "r.collection -> it.collection",
        "it.item -> g.a",
        "one.value -> g.b",
        "g.value -> f.condition",
        "it.item -> t.a",
        "it.item -> e.a",
        "t.value -> f.true_input",
        "e.value -> f.false_input",
        "f.value -> c.item",
      ],
    );
    runState(state);
    expect(resultOf(state, "c")).toEqual({ collection: [100, 101, 20] });
    expect(state.execIdsOf("t").map((id) => state.statusOf(id))).toEqual(["skipped", "skipped", "executed"]);
    expect(state.execIdsOf("e").map((id) => state.statusOf(id))).toEqual(["executed", "executed", "skipped"]);
  });

  it("runs a node outside a loop when any iteration's if selects it", () => {
    const state = start(
      [
        ["r", "range", { start: 0, stop: 2, step: 1 }],
        ["it", "iterate"],
        ["k", "integer", { value: 7 }],
        ["eq", "greater", { b: 0 }],
        ["f", "if"],
        ["c", "collect"],
      ],
      [
        "r.collection -> it.collection",
        "it.item -> eq.a",
        "eq.value -> f.condition",
        "k.value -> f.true_input",
        "it.item -> f.false_input",
        "f.value -> c.item",
      ],
    );
    runState(state);
    expect(resultOf(state, "c")).toEqual({ collection: [0, 7] });
    expect(state.statusOf("k")).toBe("executed");
  });

  it("skips a whole loop inside the unselected branch (its collection source still runs)", () => {
    const state = start(
      [
        ["r", "range", { start: 0, stop: 3, step: 1 }],
        ["it", "iterate"],
        ["x", "add"],
        ["c", "collect"],
        ["t", "integer", { value: 9 }],
        ["f", "if", { condition: true }],
      ],
      [
        "r.collection -> it.collection",
        "it.item -> x.a",
        "x.value -> c.item",
        "c.collection -> f.false_input",
        "t.value -> f.true_input",
      ],
    );
    expect(runState(state)).toEqual(["r", "t", "f"]);
    expect(state.isComplete()).toBe(true);
    for (const id of [...state.execIdsOf("it"), ...state.execIdsOf("x"), "c"])
      expect(state.statusOf(id)).toBe("skipped");
  });

  it("skips a branch whose inner loop turns out empty", () => {
    const state = start(
      [
        ["r", "range", { start: 0, stop: 0, step: 1 }],
        ["it", "iterate"],
        ["x", "add"],
        ["t", "integer", { value: 9 }],
        ["f", "if", { condition: true }],
        ["c", "collect"],
        ["k", "integer", { value: 1 }],
      ],
      [
        "r.collection -> it.collection",
        "k.value -> x.b",
        "it.item -> x.a",
        "x.value -> f.false_input",
        "t.value -> f.true_input",
        "f.value -> c.item",
      ],
    );
    runState(state);
    expect(state.isComplete()).toBe(true);
    expect(state.hasError()).toBe(false);
    expect(resultOf(state, "c")).toEqual({ collection: [] });
  });
});
