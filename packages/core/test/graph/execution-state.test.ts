import { describe, expect, it } from "vitest";
import {
  ExecutionState,
  ExecutionStateError,
  IterateCollectError,
  NodeAlreadyExecutedError,
  UnknownExecutionNodeError,
  parseGraph,
} from "../../src/graph/index.js";
import { fixtureLookup } from "./fixtures.js";
import { graphJSON, resultOf, runState } from "./run-state.js";

const lookup = fixtureLookup();

function start(nodes: Parameters<typeof graphJSON>[0], edges: string[] = []): ExecutionState {
  return ExecutionState.create(parseGraph(graphJSON(nodes, edges)), lookup, { id: "session-1" });
}

const range = (id: string, stop: number, start = 0): [string, string, Record<string, unknown>] => [
  id,
  "range",
  { start, stop, step: 1 },
];

describe("ExecutionState: plain graphs", () => {
  it("runs a chain in order, filling inputs from upstream results (edges override literals)", () => {
    const state = start(
      [
        ["i", "integer", { value: 1 }],
        ["x", "add", { a: 99, b: 2 }],
        ["y", "add", { b: 3 }],
      ],
      ["i.value -> x.a", "x.value -> y.a"],
    );
    const first = state.next()!;
    expect(first).toMatchObject({ id: "i", sourceId: "i", type: "integer", iterationPath: [] });
    expect(state.next()).toBeUndefined(); // x waits for i
    state.complete("i", { value: 1 });
    const x = state.next()!;
    expect(x.node).toEqual({ id: "x", type: "add", a: 1, b: 2 });
    state.complete("x", { value: 3 });
    expect(runState(state)).toEqual(["y"]);
    expect(resultOf(state, "y")).toEqual({ value: 6 });
    expect(state.isComplete()).toBe(true);
    expect(state.hasError()).toBe(false);
    expect(state.executedHistory).toEqual(["i", "x", "y"]);
    expect(state.sourceIdOf("y")).toBe("y");
    expect(state.execIdsOf("y")).toEqual(["y"]);
  });

  it("hands out several independent ready nodes before their completions arrive", () => {
    const state = start(
      [
        ["a", "integer", { value: 1 }],
        ["b", "integer", { value: 2 }],
        ["c", "integer", { value: 3 }],
        ["s", "add"],
        ["t", "add"],
      ],
      ["a.value -> s.a", "b.value -> s.b", "s.value -> t.a", "c.value -> t.b"],
    );
    const batch = state.nextReady(10);
    expect(batch.map((n) => n.id)).toEqual(["a", "b", "c"]);
    expect(state.inFlight()).toEqual(["a", "b", "c"]);
    expect(state.nextReady(10)).toEqual([]);
    state.complete("c", { value: 3 });
    state.complete("a", { value: 1 });
    expect(state.readyCount).toBe(0);
    state.complete("b", { value: 2 });
    expect(runState(state)).toEqual(["s", "t"]);
    expect(resultOf(state, "t")).toEqual({ value: 6 });
  });

  it("batches ready nodes by type", () => {
    const state = start([
      ["a", "integer", { value: 1 }],
      ["s", "string", { value: "x" }],
      ["b", "integer", { value: 2 }],
      ["f", "float", { value: 1.5 }],
    ]);
    expect(runState(state)).toEqual(["a", "b", "s", "f"]);
  });

  it("gives escaped, collision-free execution ids when source ids contain # or %", () => {
    const state = start(
      [range("r", 2), ["it", "iterate"], ["it#0", "integer", { value: 5 }], ["a%", "add"], ["c", "collect"]],
      ["r.collection -> it.collection", "it.item -> a%.a", "it#0.value -> a%.b", "a%.value -> c.item"],
    );
    runState(state);
    expect(state.execIdsOf("it#0")).toEqual(["it%230"]);
    expect(state.execIdsOf("it")).toEqual(["it#0", "it#1"]);
    expect(state.execIdsOf("a%")).toEqual(["a%25#0", "a%25#1"]);
    expect(state.sourceIdOf("it%230")).toBe("it#0");
    expect(resultOf(state, "c")).toEqual({ collection: [5, 6] });
  });
});

describe("ExecutionState: iterate and collect", () => {
  it("iterates in order and collects the results", () => {
    const state = start(
      [range("r", 3), ["it", "iterate"], ["x", "add", { b: 10 }], ["c", "collect"], ["s", "sum"]],
      ["r.collection -> it.collection", "it.item -> x.a", "x.value -> c.item", "c.collection -> s.collection"],
    );
    const order = runState(state);
    expect(order).toEqual(["r", "it#0", "it#1", "it#2", "x#0", "x#1", "x#2", "c", "s"]);
    expect(resultOf(state, "c")).toEqual({ collection: [10, 11, 12] });
    expect(resultOf(state, "s")).toEqual({ value: 33 });
    expect(state.iterationPathOf("x#2")).toEqual([2]);
    expect(state.sourceIdOf("x#1")).toBe("x");
    expect(state.executedHistory).toEqual(["r", "it", "x", "c", "s"]);
  });

  it("passes the upstream list to each iterate copy by reference, with its index and use_cache off", () => {
    const state = start(
      [range("r", 2), ["it", "iterate"], ["x", "add"]],
      ["r.collection -> it.collection", "it.item -> x.a"],
    );
    const r = state.next()!;
    const list = [7, 8];
    state.complete(r.id, { collection: list });
    const it1 = state.next()!;
    const it2 = state.next()!;
    expect(it1.node).toMatchObject({ id: "it#0", index: 0, use_cache: false });
    expect(it2.node.index).toBe(1);
    expect(it1.node.collection).toBe(list);
    expect(it2.node.collection).toBe(list);
  });

  it("runs three nested levels, keeping each outer iteration's collection apart (and empty inner groups as [])", () => {
    // i in range(3); j in range(i); k in range(j + 1); v = 100 i + 10 j + k
    const state = start(
      [
        range("r0", 3),
        ["I", "iterate"],
        ["r1", "range", { start: 0, step: 1 }],
        ["J", "iterate"],
        ["j1", "add", { b: 1 }],
        ["r2", "range", { start: 0, step: 1 }],
        ["K", "iterate"],
        ["t1", "mul", { b: 100 }],
        ["t2", "mul", { b: 10 }],
        ["s1", "add"],
        ["v", "add"],
        ["C3", "collect"],
        ["C2", "collect"],
        ["C1", "collect"],
      ],
      [
        "r0.collection -> I.collection",
        "I.item -> r1.stop",
        "r1.collection -> J.collection",
        "J.item -> j1.a",
        "j1.value -> r2.stop",
        "r2.collection -> K.collection",
        "I.item -> t1.a",
        "J.item -> t2.a",
        "t1.value -> s1.a",
        "t2.value -> s1.b",
        "s1.value -> v.a",
        "K.item -> v.b",
        "v.value -> C3.item",
        "C3.collection -> C2.item",
        "C2.collection -> C1.item",
      ],
    );
    runState(state);
    expect(state.isComplete()).toBe(true);
    expect(resultOf(state, "C1")).toEqual({ collection: [[], [[100]], [[200], [210, 211]]] });
    expect(state.execIdsOf("C2")).toEqual(["C2#0", "C2#1", "C2#2"]);
    expect(state.execIdsOf("C3")).toEqual(["C3#1.0", "C3#2.0", "C3#2.1"]);
    expect(state.execIdsOf("v")).toEqual(["v#1.0.0", "v#2.0.0", "v#2.1.0", "v#2.1.1"]);
    expect(state.results.get("C2#0")).toEqual({ collection: [] });
  });

  it("collects one list over the product of two independent loops", () => {
    const state = start(
      [
        range("ra", 2),
        range("rb", 3),
        ["A", "iterate"],
        ["B", "iterate"],
        ["m", "mul", { b: 10 }],
        ["v", "add"],
        ["c", "collect"],
      ],
      [
        "ra.collection -> A.collection",
        "rb.collection -> B.collection",
        "A.item -> m.a",
        "m.value -> v.a",
        "B.item -> v.b",
        "v.value -> c.item",
      ],
    );
    runState(state);
    expect(resultOf(state, "c")).toEqual({ collection: [0, 1, 2, 10, 11, 12] });
    expect(state.execIdsOf("v")).toEqual(["v#0.0", "v#0.1", "v#0.2", "v#1.0", "v#1.1", "v#1.2"]);
  });

  it("puts items from outside any loop first (edge order), then loop items in iteration order", () => {
    const state = start(
      [
        range("r", 3),
        ["I", "iterate"],
        ["a", "add", { b: 100 }],
        ["b", "add", { b: 200 }],
        ["k", "integer", { value: 7 }],
        ["k2", "integer", { value: 8 }],
        ["c", "collect"],
      ],
      [
        "r.collection -> I.collection",
        "I.item -> a.a",
        "I.item -> b.a",
        "a.value -> c.item",
        "k.value -> c.item",
        "b.value -> c.item",
        "k2.value -> c.item",
      ],
    );
    runState(state);
    expect(resultOf(state, "c")).toEqual({ collection: [7, 8, 100, 200, 101, 201, 102, 202] });
  });

  it("interleaves two separate loops feeding one collector by iteration index", () => {
    const state = start(
      [
        range("ra", 2),
        range("rb", 2),
        ["A", "iterate"],
        ["B", "iterate"],
        ["a", "add", { b: 100 }],
        ["b", "add", { b: 200 }],
        ["c", "collect"],
      ],
      [
        "ra.collection -> A.collection",
        "rb.collection -> B.collection",
        "A.item -> a.a",
        "B.item -> b.a",
        "a.value -> c.item",
        "b.value -> c.item",
      ],
    );
    runState(state);
    expect(resultOf(state, "c")).toEqual({ collection: [100, 200, 101, 201] });
  });

  it("merges collect.collection inputs first, then items", () => {
    const state = start(
      [
        ["k", "integer", { value: 5 }],
        ["ic", "integer_collection", { collection: [1, 2] }],
        ["c", "collect"],
      ],
      ["k.value -> c.item", "ic.collection -> c.collection"],
    );
    runState(state);
    expect(resultOf(state, "c")).toEqual({ collection: [1, 2, 5] });
  });

  it("turns an empty collection into empty collections downstream, marking loop-only nodes executed", () => {
    const state = start(
      [
        range("r", 0),
        ["it", "iterate"],
        ["x", "add"],
        ["y", "add"],
        ["c", "collect"],
        ["s", "sum"],
        ["after", "add", { b: 1 }],
      ],
      [
        "r.collection -> it.collection",
        "it.item -> x.a",
        "x.value -> y.a",
        "x.value -> c.item",
        "c.collection -> s.collection",
        "s.value -> after.a",
      ],
    );
    const order = runState(state);
    expect(order).toEqual(["r", "c", "s", "after"]);
    expect(state.isComplete()).toBe(true);
    expect(resultOf(state, "c")).toEqual({ collection: [] });
    expect(resultOf(state, "after")).toEqual({ value: 1 });
    expect(state.execIdsOf("x")).toEqual([]);
    expect(state.executedHistory).toEqual(expect.arrayContaining(["it", "x", "y"]));
  });

  it("completes a graph whose only loop is empty and has no collector", () => {
    const state = start(
      [range("r", 0), ["it", "iterate"], ["x", "add"]],
      ["r.collection -> it.collection", "it.item -> x.a"],
    );
    expect(runState(state)).toEqual(["r"]);
    expect(state.isComplete()).toBe(true);
    expect(state.executedHistory).toEqual(["r", "it", "x"]);
  });

  it("feeds a collect into an iterate", () => {
    const state = start(
      [
        range("r", 3),
        ["it", "iterate"],
        ["x", "mul", { b: 2 }],
        ["c", "collect"],
        ["it2", "iterate"],
        ["y", "add", { b: 1 }],
        ["c2", "collect"],
        ["s", "sum"],
      ],
      [
        "r.collection -> it.collection",
        "it.item -> x.a",
        "x.value -> c.item",
        "c.collection -> it2.collection",
        "it2.item -> y.a",
        "y.value -> c2.item",
        "c2.collection -> s.collection",
      ],
    );
    runState(state);
    expect(resultOf(state, "c2")).toEqual({ collection: [1, 3, 5] });
    expect(resultOf(state, "s")).toEqual({ value: 9 });
  });

  it("combines each item with a value computed over the whole collection (normalise by total)", () => {
    const state = start(
      [range("r", 4, 1), ["I", "iterate"], ["c", "collect"], ["s", "sum"], ["x", "mul"], ["c2", "collect"]],
      [
        "r.collection -> I.collection",
        "I.item -> c.item",
        "c.collection -> s.collection",
        "I.item -> x.a",
        "s.value -> x.b",
        "x.value -> c2.item",
      ],
    );
    runState(state);
    expect(resultOf(state, "s")).toEqual({ value: 6 });
    expect(resultOf(state, "c2")).toEqual({ collection: [6, 12, 18] });
  });

  it("refuses to plan a cyclic graph when validation is skipped, with a typed error", () => {
    const g = parseGraph(
      graphJSON(
        [
          ["a", "add"],
          ["b", "add"],
        ],
        ["a.value -> b.a", "b.value -> a.a"],
      ),
    );
    expect(() => ExecutionState.create(g, lookup, { validate: false })).toThrow("The graph has a cycle: a -> b -> a");
  });

  it("iterates a list of lists, one inner loop per outer item", () => {
    const state = start(
      [
        ["nr", "nested_range", { stop: 3 }],
        ["I", "iterate"],
        ["J", "iterate"],
        ["x", "add", { b: 1 }],
        ["c", "collect"],
        ["c2", "collect"],
      ],
      [
        "nr.collection -> I.collection",
        "I.item -> J.collection",
        "J.item -> x.a",
        "x.value -> c.item",
        "c.collection -> c2.item",
      ],
    );
    runState(state);
    expect(resultOf(state, "c2")).toEqual({ collection: [[], [1], [1, 2]] });
  });
});

describe("ExecutionState: errors", () => {
  const chain = (): ExecutionState =>
    start(
      [range("r", 3), ["it", "iterate"], ["x", "add"], ["c", "collect"], ["k", "integer", { value: 1 }]],
      ["r.collection -> it.collection", "it.item -> x.a", "x.value -> c.item"],
    );

  it("ends the session on a node error, naming the source node", () => {
    const state = chain();
    const order = runState(state, { failWith: (n) => (n.id === "x#1" ? new Error("boom") : undefined) });
    expect(order).toEqual(["r", "k", "it#0", "it#1", "it#2", "x#0", "x#1"]);
    expect(state.hasError()).toBe(true);
    expect(state.isComplete()).toBe(true);
    expect(state.next()).toBeUndefined();
    expect(state.readyCount).toBe(0);
    expect(state.errors.get("x#1")).toMatchObject({
      node_id: "x",
      exec_id: "x#1",
      node_type: "add",
      iteration_path: [1],
      error_type: "Error",
      error_message: "boom",
    });
    expect(state.statusOf("x#1")).toBe("failed");
    expect(state.statusOf("x#2")).toBe("ready");
  });

  it("accepts completions of nodes already in flight when another fails", () => {
    const state = start(
      [
        ["a", "integer", { value: 1 }],
        ["b", "integer", { value: 2 }],
        ["s", "add"],
      ],
      ["a.value -> s.a", "b.value -> s.b"],
    );
    const [a, b] = state.nextReady(2);
    state.fail(a.id, new Error("a broke"));
    state.complete(b.id, { value: 2 });
    expect(state.results.get("b")).toEqual({ value: 2 });
    expect(state.next()).toBeUndefined();
    expect(state.isComplete()).toBe(true);
  });

  it("refuses completing an unknown, not handed out, or finished node with typed errors", () => {
    const state = chain();
    expect(() => state.complete("zz", {})).toThrow(UnknownExecutionNodeError);
    expect(() => state.complete("x#9", {})).toThrow('Node "x" has no prepared execution copy "x#9"');
    expect(() => state.complete("k", { value: 1 })).toThrow(ExecutionStateError);
    expect(() => state.complete("k", { value: 1 })).toThrow(
      'Node "k" cannot be completed: it was not handed out by next() (it is ready)',
    );
    expect(state.next()!.id).toBe("r");
    const k = state.next()!;
    expect(k.id).toBe("k");
    expect(() => state.complete(k.id, null as never)).toThrow(/Output of node "k" must be an object/);
    state.complete(k.id, { value: 1 });
    expect(() => state.complete(k.id, { value: 1 })).toThrow(NodeAlreadyExecutedError);
    expect(() => state.fail(k.id, new Error("late"))).toThrow('Node "k" has already been executed');
  });

  it("fails the session when an iterate receives something that is not a list", () => {
    // if.value is Any, so validation lets it feed an iterate; the value is only known at run time.
    const state = start(
      [
        ["n", "integer", { value: 5 }],
        ["f", "if", { condition: true }],
        ["it", "iterate"],
        ["x", "add"],
      ],
      ["n.value -> f.true_input", "f.value -> it.collection", "it.item -> x.a"],
    );
    state.complete(state.next()!.id, { value: 5 });
    const f = state.next()!;
    let error: unknown;
    try {
      state.complete(f.id, { value: 5 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IterateCollectError);
    expect((error as Error).message).toBe(
      'Iterate node "it" needs a list on input "collection", but f.value produced number',
    );
    expect(state.hasError()).toBe(true);
    expect(state.isComplete()).toBe(true);
    expect([...state.errors.values()][0]).toMatchObject({ node_id: "it", error_type: "IterateCollectError" });
    expect(state.results.get("f")).toEqual({ value: 5 });
  });

  it("requeues a handed-out node", () => {
    const state = start([
      ["a", "integer", { value: 1 }],
      ["b", "integer", { value: 2 }],
    ]);
    const a = state.next()!;
    state.requeue(a.id);
    expect(state.inFlight()).toEqual([]);
    expect(runState(state)).toEqual(["a", "b"]);
  });

  it("validates the graph on create", () => {
    expect(() => ExecutionState.create(parseGraph(graphJSON([["a", "nope"]])), lookup)).toThrow(/unknown type "nope"/);
  });
});
