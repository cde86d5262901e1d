import type { ExecutionState, NodeOutput, ReadyNode } from "../../src/graph/index.js";

/** What the fixture node types compute — a stand-in for the engine invoking real nodes. */
export function invokeFixture(ready: ReadyNode): NodeOutput {
  const n = ready.node as Record<string, any>;
  switch (ready.type) {
    case "integer":
    case "float":
    case "string":
    case "boolean":
      return { value: n.value };
    case "add":
      return { value: (n.a ?? 0) + (n.b ?? 0) };
    case "mul":
      return { value: (n.a ?? 0) * (n.b ?? 0) };
    case "greater":
      return { value: n.a > n.b };
    case "float_scale":
      return { value: n.value * (n.factor ?? 1) };
    case "string_join":
      return { value: `${n.string_left ?? ""}${n.string_right ?? ""}` };
    case "range": {
      const out: number[] = [];
      const step = n.step ?? 1;
      for (let i = n.start ?? 0; step > 0 ? i < n.stop : i > n.stop; i += step) out.push(i);
      return { collection: out };
    }
    case "nested_range":
      return { collection: Array.from({ length: n.stop }, (_, i) => Array.from({ length: i }, (_, j) => j)) };
    case "iterate":
      return { item: n.collection[n.index], index: n.index, total: n.collection.length };
    case "collect":
      return { collection: n.collection };
    case "if":
      return { value: n.condition ? n.true_input : n.false_input };
    case "sum":
      return { value: (n.collection as number[]).reduce((a, b) => a + b, 0) };
    case "concat":
      return { value: (n.collection as string[]).join(",") };
    case "integer_collection":
      return { collection: n.collection };
    default:
      return {};
  }
}

export interface RunOptions {
  /** Run at most this many nodes (to stop mid-run). */
  maxSteps?: number;
  /** Make a node fail: return an Error for it. */
  failWith?: (ready: ReadyNode) => Error | undefined;
  /** Hand out up to this many nodes before completing them (default 1). */
  concurrency?: number;
}

/** Steps a state with the fixture invoker; returns the execution ids in the order they ran. */
export function runState(state: ExecutionState, options: RunOptions = {}): string[] {
  const order: string[] = [];
  const max = options.maxSteps ?? Infinity;
  const concurrency = options.concurrency ?? 1;
  while (order.length < max && !state.isComplete()) {
    const batch = state.nextReady(Math.min(concurrency, max - order.length));
    if (batch.length === 0) break;
    for (const ready of batch) {
      order.push(ready.id);
      const error = options.failWith?.(ready);
      if (error) state.fail(ready.id, error);
      else state.complete(ready.id, invokeFixture(ready));
    }
  }
  return order;
}

/** The output of the single execution copy of a source node. */
export function resultOf(state: ExecutionState, sourceId: string): Record<string, any> | undefined {
  const ids = state.execIdsOf(sourceId);
  if (ids.length !== 1) throw new Error(`expected one copy of ${sourceId}, got ${ids.length}`);
  return state.results.get(ids[0]) as Record<string, any> | undefined;
}

/** A tiny graph builder for tests: nodes as [id, type, literals], edges as "a.field -> b.field". */
export function graphJSON(
  nodes: [string, string, Record<string, unknown>?][],
  edges: string[] = [],
): Record<string, unknown> {
  return {
    id: "g",
    nodes: Object.fromEntries(nodes.map(([id, type, values]) => [id, { id, type, ...(values ?? {}) }])),
    edges: edges.map((e) => {
      const [s, d] = e.split("->").map((x) => x.trim());
      const [sn, sf] = s.split(".");
      const [dn, df] = d.split(".");
      return { source: { node_id: sn, field: sf }, destination: { node_id: dn, field: df } };
    }),
  };
}
