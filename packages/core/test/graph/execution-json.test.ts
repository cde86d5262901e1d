import { describe, expect, it } from "vitest";
import {
  ExecutionState,
  ExecutionStateRestoreError,
  parseGraph,
  type ExecutionStateJSON,
} from "../../src/graph/index.js";
import { fixtureLookup } from "./fixtures.js";
import { graphJSON, invokeFixture, runState } from "./run-state.js";

const lookup = fixtureLookup();

const GRAPHS: Record<string, ReturnType<typeof graphJSON>> = {
  nested: graphJSON(
    [
      ["r0", "range", { start: 0, stop: 3, step: 1 }],
      ["I", "iterate"],
      ["r1", "range", { start: 0, step: 1 }],
      ["J", "iterate"],
      ["t", "mul", { b: 10 }],
      ["v", "add"],
      ["C2", "collect"],
      ["C1", "collect"],
    ],
    [
      "r0.collection -> I.collection",
      "I.item -> r1.stop",
      "r1.collection -> J.collection",
      "I.item -> t.a",
      "t.value -> v.a",
      "J.item -> v.b",
      "v.value -> C2.item",
      "C2.collection -> C1.item",
    ],
  ),
  lazyIf: graphJSON(
    [
      ["r", "range", { start: 0, stop: 4, step: 1 }],
      ["it", "iterate"],
      ["one", "integer", { value: 1 }],
      ["g", "greater"],
      ["t", "mul", { b: 10 }],
      ["e", "add", { b: 100 }],
      ["f", "if"],
      ["c", "collect"],
      ["s", "sum"],
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
      "c.collection -> s.collection",
    ],
  ),
  product: graphJSON(
    [
      ["ra", "range", { start: 0, stop: 2, step: 1 }],
      ["rb", "range", { start: 0, stop: 3, step: 1 }],
      ["A", "iterate"],
      ["B", "iterate"],
      ["v", "add"],
      ["c", "collect"],
      ["it2", "iterate"],
      ["w", "mul", { b: 2 }],
    ],
    [
      "ra.collection -> A.collection",
      "rb.collection -> B.collection",
      "A.item -> v.a",
      "B.item -> v.b",
      "v.value -> c.item",
      "c.collection -> it2.collection",
      "it2.item -> w.a",
    ],
  ),
};

function fresh(name: string): ExecutionState {
  return ExecutionState.create(parseGraph(GRAPHS[name]), lookup, { id: `session-${name}` });
}

/** Stores through a real JSON string, as the queue does. */
function storeAndRestore(state: ExecutionState): ExecutionState {
  return ExecutionState.fromJSON(JSON.parse(JSON.stringify(state.toJSON())), lookup);
}

describe("ExecutionState JSON", () => {
  for (const name of Object.keys(GRAPHS)) {
    for (const concurrency of [1, 3]) {
      it(`resumes "${name}" (concurrency ${concurrency}) after every step with identical behaviour`, () => {
        const reference = fresh(name);
        const fullOrder = runState(reference, { concurrency });
        expect(reference.isComplete()).toBe(true);
        for (let k = 0; k <= fullOrder.length; k++) {
          // Two identical states stopped after k nodes: one goes on as is, the other through JSON.
          const original = fresh(name);
          const twin = fresh(name);
          const head = runState(original, { maxSteps: k, concurrency });
          expect(runState(twin, { maxSteps: k, concurrency })).toEqual(head);
          const restored = storeAndRestore(twin);
          expect(restored.toJSON()).toEqual(twin.toJSON());
          expect(runState(restored, { concurrency })).toEqual(runState(original, { concurrency }));
          expect(restored.toJSON()).toEqual(original.toJSON());
          expect(restored.isComplete()).toBe(true);
          if (concurrency === 1) expect(restored.toJSON()).toEqual(reference.toJSON());
        }
      });
    }
  }

  it("round-trips exactly with nodes in flight, which stay in flight", () => {
    const state = fresh("nested");
    runState(state, { maxSteps: 4 });
    const inFlight = state.nextReady(2);
    const json = state.toJSON();
    const restored = ExecutionState.fromJSON(json, lookup);
    expect(restored.toJSON()).toEqual(json);
    expect(restored.inFlight()).toEqual(inFlight.map((n) => n.id));
    for (const n of inFlight) {
      state.complete(n.id, invokeFixture(n));
      restored.complete(n.id, invokeFixture(n));
    }
    runState(state);
    runState(restored);
    expect(restored.toJSON()).toEqual(state.toJSON());
  });

  it("keeps a failure across a restore", () => {
    const state = fresh("lazyIf");
    runState(state, { failWith: (n) => (n.sourceId === "e" ? new Error("bad e") : undefined) });
    const restored = storeAndRestore(state);
    expect(restored.hasError()).toBe(true);
    expect(restored.isComplete()).toBe(true);
    expect(restored.next()).toBeUndefined();
    expect([...restored.errors.values()][0]).toMatchObject({ node_id: "e", error_message: "bad e" });
  });

  it("keeps a scheduler error (iterate over a non-list) across a restore", () => {
    const json = graphJSON(
      [
        ["n", "integer", { value: 5 }],
        ["f", "if", { condition: true }],
        ["it", "iterate"],
        ["x", "add"],
      ],
      ["n.value -> f.true_input", "f.value -> it.collection", "it.item -> x.a"],
    );
    const state = ExecutionState.create(parseGraph(json), lookup);
    expect(() => runState(state)).toThrow(/needs a list/);
    const restored = storeAndRestore(state);
    expect(restored.toJSON()).toEqual(state.toJSON());
    expect(restored.hasError()).toBe(true);
  });

  it("stores each result once and no hydrated inputs", () => {
    const list = Array.from({ length: 300 }, (_, i) => 1_000_000 + i);
    const json = graphJSON(
      [
        ["ic", "integer_collection", { collection: list }],
        ["it", "iterate"],
        ["x", "add", { b: 1 }],
        ["c", "collect"],
      ],
      ["ic.collection -> it.collection", "it.item -> x.a", "x.value -> c.item"],
    );
    const state = ExecutionState.create(parseGraph(json), lookup);
    runState(state);
    const text = JSON.stringify(state.toJSON());
    const occurrences = text.split(JSON.stringify(list)).length - 1;
    expect(occurrences).toBe(2); // the literal in the graph and ic's result; never per iterate copy
    const stored = state.toJSON() as ExecutionStateJSON;
    expect(Object.keys(stored.results)).toHaveLength(1 + 300 + 300 + 1);
    expect(stored.source_prepared_mapping.x).toHaveLength(300);
  });

  it("refuses stored states it cannot replay", () => {
    const state = fresh("nested");
    runState(state, { maxSteps: 3 });
    const good = JSON.parse(JSON.stringify(state.toJSON())) as ExecutionStateJSON;
    const bad = (patch: (j: ExecutionStateJSON) => void): unknown => {
      const j = structuredClone(good);
      patch(j);
      return j;
    };
    expect(() => ExecutionState.fromJSON(null, lookup)).toThrow(ExecutionStateRestoreError);
    expect(() =>
      ExecutionState.fromJSON(
        bad((j) => ((j as { version: number }).version = 2)),
        lookup,
      ),
    ).toThrow(/unsupported version 2/);
    expect(() =>
      ExecutionState.fromJSON(
        bad((j) => j.log.push("nope")),
        lookup,
      ),
    ).toThrow(/log\[\d+\] completes "nope", which has no result/);
    expect(() =>
      ExecutionState.fromJSON(
        bad((j) => (j.results.extra = { value: 1 })),
        lookup,
      ),
    ).toThrow(/result "extra" is not produced by the log/);
    expect(() =>
      ExecutionState.fromJSON(
        bad((j) => j.log.push(50)),
        lookup,
      ),
    ).toThrow(/hands out more nodes than were ready/);
    expect(() =>
      ExecutionState.fromJSON(
        bad((j) => (j.graph.nodes.t = { id: "t", type: "gone" })),
        lookup,
      ),
    ).toThrow(/unknown type "gone"/);
  });
});
