/**
 * ExecutionState alone (no engine, no I/O): how many nodes per second it can prepare, hand out and complete.
 * Run: npx tsx bench/execution-state.bench.ts
 * Two workloads, each at 1× and 2× size to show linearity (ratio ≈ 1.0 means linear):
 *   chain   — N integer adds in a line
 *   iterate — range(N) → iterate → add → collect
 * Each session is created (with graph validation) and stepped to the end, completing every node with a computed
 * output. Prints the median over several runs after warm-up, as wall-clock rate and as rate per CPU-second (the
 * machine is shared, so wall-clock figures include time spent waiting for a core).
 */
import { availableParallelism, loadavg } from "node:os";
import { ExecutionState, parseGraph, type NodeOutput, type ReadyNode } from "../packages/core/src/graph/index.js";
import type { InputInfo, NodeTypeInfo, NodeTypeLookup } from "../packages/core/src/node-type-info.js";
import type { TypeExpr } from "../packages/core/src/type-expr.js";

const INT: TypeExpr = { kind: "int" };
const ANY: TypeExpr = { kind: "any" };
const LIST_INT: TypeExpr = { kind: "list", item: INT };
const LIST_ANY: TypeExpr = { kind: "list", item: ANY };

function info(type: string, inputs: Record<string, TypeExpr>, outputs: Record<string, TypeExpr>): NodeTypeInfo {
  const ins: Record<string, InputInfo> = {};
  for (const [k, t] of Object.entries(inputs)) ins[k] = { type: t, input: "any", kind: "input", required: false };
  return {
    type,
    inputs: ins,
    outputType: `${type}_output`,
    outputs: Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, { type: t }])),
    validateValues: () => [],
  };
}

const TYPES = new Map<string, NodeTypeInfo>(
  [
    info("add", { a: INT, b: INT }, { value: INT }),
    info("range", { start: INT, stop: INT, step: INT }, { collection: LIST_INT }),
    info("iterate", { collection: LIST_ANY, index: INT }, { item: ANY, index: INT, total: INT }),
    info("collect", { item: ANY, collection: LIST_ANY }, { collection: LIST_ANY }),
  ].map((t) => [t.type, t]),
);
const lookup: NodeTypeLookup = { get: (t) => TYPES.get(t) };

function invoke(ready: ReadyNode): NodeOutput {
  const n = ready.node as Record<string, any>;
  switch (ready.type) {
    case "add":
      return { value: (n.a ?? 0) + (n.b ?? 0) };
    case "range": {
      const out: number[] = [];
      for (let i = n.start; i < n.stop; i += n.step) out.push(i);
      return { collection: out };
    }
    case "iterate":
      return { item: n.collection[n.index], index: n.index, total: n.collection.length };
    case "collect":
      return { collection: n.collection };
    default:
      throw new Error(`unexpected ${ready.type}`);
  }
}

function chainGraph(n: number): unknown {
  const nodes: Record<string, unknown> = {};
  const edges: unknown[] = [];
  for (let i = 0; i < n; i++) {
    nodes[`n${i}`] = { id: `n${i}`, type: "add", a: i === 0 ? 0 : undefined, b: 1 };
    if (i > 0)
      edges.push({ source: { node_id: `n${i - 1}`, field: "value" }, destination: { node_id: `n${i}`, field: "a" } });
  }
  return { id: "chain", nodes, edges };
}

function iterateGraph(n: number): unknown {
  const e = (s: string, sf: string, d: string, df: string) => ({
    source: { node_id: s, field: sf },
    destination: { node_id: d, field: df },
  });
  return {
    id: "iterate",
    nodes: {
      r: { id: "r", type: "range", start: 0, stop: n, step: 1 },
      it: { id: "it", type: "iterate" },
      x: { id: "x", type: "add", b: 1 },
      c: { id: "c", type: "collect" },
    },
    edges: [e("r", "collection", "it", "collection"), e("it", "item", "x", "a"), e("x", "value", "c", "item")],
  };
}

interface Run {
  nodes: number;
  wall: number;
  cpu: number;
}

/** One session, from create() to the last complete(): wall-clock and process CPU seconds. */
function runOnce(json: unknown): Run {
  const graph = parseGraph(json);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const state = ExecutionState.create(graph, lookup);
  let nodes = 0;
  for (let ready = state.next(); ready; ready = state.next()) {
    state.complete(ready.id, invoke(ready));
    nodes++;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  if (!state.isComplete() || state.hasError()) throw new Error("session did not complete");
  return { nodes, wall, cpu: (c.user + c.system) / 1e6 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(json: unknown, runs: number): { nodes: number; wallRate: number; cpuRate: number } {
  // Warm-up until the JIT has settled: at least 3 runs and half a second.
  const warmUntil = performance.now() + 500;
  for (let i = 0; i < 3 || performance.now() < warmUntil; i++) runOnce(json);
  const results: Run[] = [];
  for (let i = 0; i < runs; i++) results.push(runOnce(json));
  return {
    nodes: results[0].nodes,
    wallRate: median(results.map((r) => r.nodes / r.wall)),
    cpuRate: median(results.map((r) => r.nodes / Math.max(r.cpu, 1e-6))),
  };
}

const RUNS = Number(process.env.RUNS ?? 15);
const fmt = (x: number): string => Math.round(x).toLocaleString("en-US").padStart(9);
console.log(
  `ExecutionState benchmark — median of ${RUNS} runs after warm-up (node ${process.version}, load average ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores)`,
);
console.log(
  "nodes/s wall = wall-clock (suffers from other processes on a shared machine); nodes/s cpu = per CPU-second of this process (GC threads included)",
);
console.log("workload                        nodes  nodes/s wall  µs/node  nodes/s cpu  ratio 2×/1× (wall, cpu)");
for (const [name, build, size] of [
  ["chain of adds", chainGraph, 1000],
  ["range→iterate→add→collect", iterateGraph, 10000],
] as const) {
  const one = measure(build(size), RUNS);
  const two = measure(build(size * 2), RUNS);
  for (const [label, m, ratio] of [
    [`${name} ×1`, one, ""],
    [`${name} ×2`, two, `${(two.wallRate / one.wallRate).toFixed(2)}, ${(two.cpuRate / one.cpuRate).toFixed(2)}`],
  ] as const) {
    console.log(
      `${label.padEnd(30)} ${String(m.nodes).padStart(6)}  ${fmt(m.wallRate)}     ${(1e6 / m.wallRate).toFixed(2).padStart(6)}  ${fmt(m.cpuRate)}    ${ratio}`,
    );
  }
}
