/**
 * End to end through the queue, with persistence: enqueue one graph, let the processor claim and run it on real
 * services (SQLite file, temp root), until the item is stored completed. Run: npx tsx bench/queue-end-to-end.bench.ts
 * (RUNS=n to change the run count). Graphs, each also at 2× size to show linearity (ratio ≈ 1.0 = linear):
 *   chain   — 1,000 integer adds in a line (InvokeAI: 7.4 ms per node, growing quadratically)
 *   iterate — range(10000) → iterate → add → collect (InvokeAI: 0.43 ms per node, a 14 MB stored session)
 * Nodes are InvokeAI's `add` and `range` from @atelier/nodes; the invocation cache is on (default size) but every
 * run uses new values, so it never hits. Steady state: warm-up runs first, no forced garbage collection between runs. Printed: executed nodes per second (wall clock and per CPU-second),
 * engine overhead per node (all of the time, as an add costs nothing), the stored session size and the peak RSS.
 * "listened" runs have an any-event listener attached, as the socket.io bridge does, so every event is built.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { cpuMs, ensureSourceAliases, machineLine, median, peakRssMb, repeat, tempRoot } from "./queue-bench-support.js";

ensureSourceAliases(import.meta.url);

const core = await import("@atelier/core");
const engine = await import("@atelier/engine");
const math = await import("../packages/nodes/src/math/math-nodes.js");
const collections = await import("../packages/nodes/src/collections/collection-nodes.js");

type GraphJSON = import("@atelier/core").GraphJSON;

const RUNS = Number(process.env.RUNS ?? 7);
// Unmeasured runs first: a 1,000-node run is too short for the JIT to have optimised the engine on its first go.
const WARMUP = Number(process.env.WARMUP ?? 3);

function chain(n: number, b: number): { graph: GraphJSON; nodes: number } {
  const nodes: GraphJSON["nodes"] = {};
  const edges: GraphJSON["edges"] = [];
  for (let i = 0; i < n; i++) {
    nodes[`n${i}`] = { id: `n${i}`, type: "add", a: 0, b };
    if (i > 0)
      edges.push({ source: { node_id: `n${i - 1}`, field: "value" }, destination: { node_id: `n${i}`, field: "a" } });
  }
  return { graph: { id: `chain-${n}`, nodes, edges }, nodes: n };
}

function iterate(n: number, b: number): { graph: GraphJSON; nodes: number } {
  const edge = (s: string, sf: string, d: string, df: string) => ({
    source: { node_id: s, field: sf },
    destination: { node_id: d, field: df },
  });
  return {
    graph: {
      id: `iterate-${n}`,
      nodes: {
        r: { id: "r", type: "range", start: 0, stop: n, step: 1 },
        it: { id: "it", type: "iterate" },
        plus: { id: "plus", type: "add", b },
        col: { id: "col", type: "collect" },
      },
      edges: [
        edge("r", "collection", "it", "collection"),
        edge("it", "item", "plus", "a"),
        edge("plus", "value", "col", "item"),
      ],
    },
    nodes: 2 * n + 2,
  };
}

const tmp = tempRoot("atelier-bench-e2e-");
const registry = new core.NodeRegistry();
core.registerCoreNodes(registry);
registry.register(math.AddInvocation);
registry.register(collections.RangeInvocation);
const services = await engine.createServices({
  root: tmp.root,
  env: {},
  loadNodePacks: false,
  registry,
  overrides: { log_level: "warning" },
});
const rt = await engine.createQueueRuntime(services, { logStats: false });

let waiting: { id: number; resolve: (status: string) => void } | undefined;
rt.processor.onItemFinished((id, result) => {
  if (waiting?.id === id) waiting.resolve(result.status);
});

let counter = 1;
async function runOnce(make: (b: number) => { graph: GraphJSON; nodes: number }) {
  const { graph, nodes } = make(counter++);
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  let finish!: (status: string) => void;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  const result = await rt.queue.enqueueBatch("default", { graph });
  waiting = { id: result.item_ids[0], resolve: finish };
  const status = await finished;
  const wall = performance.now() - wall0;
  const cpu = cpuMs() - cpu0;
  if (status !== "completed") throw new Error(`item ended ${status}`);
  const row = await services.db
    .selectFrom("session_queue")
    .select("session")
    .where("item_id", "=", result.item_ids[0])
    .executeTakeFirstOrThrow();
  return { wall, cpu, nodes, bytes: Buffer.byteLength(row.session) };
}

async function measure(label: string, make: (b: number) => { graph: GraphJSON; nodes: number }) {
  const runs = await repeat(RUNS, WARMUP, () => runOnce(make));
  const nodes = runs[0].nodes;
  const wall = median(runs.map((r) => r.wall));
  const cpu = median(runs.map((r) => r.cpu));
  const row = {
    label,
    nodes,
    wallMs: wall,
    nodesPerSec: (nodes / wall) * 1000,
    nodesPerCpuSec: (nodes / cpu) * 1000,
    usPerNode: (wall * 1000) / nodes,
    usCpuPerNode: (cpu * 1000) / nodes,
    sessionKb: runs[0].bytes / 1024,
  };
  console.log(
    `${label.padEnd(28)} ${String(nodes).padStart(6)} nodes  ${wall.toFixed(1).padStart(8)} ms  ` +
      `${Math.round(row.nodesPerSec).toLocaleString("en").padStart(8)} nodes/s (${Math.round(row.nodesPerCpuSec).toLocaleString("en")} per CPU-s)  ` +
      `${row.usPerNode.toFixed(1).padStart(6)} µs/node (${row.usCpuPerNode.toFixed(1)} CPU)  session ${row.sessionKb.toFixed(0)} KB  ` +
      `peak RSS ${peakRssMb().toFixed(0)} MB`,
  );
  return row;
}

if (process.env.BENCH_RSS_ONLY === "1") {
  // Child mode: one 10,000-item iterate in a fresh process, for a peak RSS that belongs to it alone.
  const baseline = peakRssMb();
  await runOnce((b) => iterate(10_000, b));
  console.log(JSON.stringify({ baseline, peak: peakRssMb() }));
  await rt.close();
  await services.close();
  tmp.remove();
  process.exit(0);
}
const rssChild = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
  env: { ...process.env, BENCH_RSS_ONLY: "1" },
  encoding: "utf8",
});
const rss = JSON.parse(rssChild.stdout.trim().split("\n").at(-1) ?? "{}") as { baseline?: number; peak?: number };

console.log(`queue end to end — ${machineLine()}, median of ${RUNS} runs after ${WARMUP} warm-up runs`);
console.log(
  `one 10,000-item iterate in a fresh process: peak RSS ${rss.peak?.toFixed(0)} MB (engine loaded and idle: ${rss.baseline?.toFixed(0)} MB; target < 400 MB)`,
);
const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
let iteratePeakRss = 0;
for (const listened of [false, true]) {
  const unsubscribe = listened ? services.events.onAny(() => undefined) : () => undefined;
  const tag = listened ? " (listened)" : "";
  results[`iter10k${tag}`] = await measure(`iterate 10,000${tag}`, (b) => iterate(10_000, b));
  if (!listened) iteratePeakRss = peakRssMb();
  results[`iter20k${tag}`] = await measure(`iterate 20,000${tag}`, (b) => iterate(20_000, b));
  results[`chain1k${tag}`] = await measure(`chain 1,000${tag}`, (b) => chain(1000, b));
  results[`chain2k${tag}`] = await measure(`chain 2,000${tag}`, (b) => chain(2000, b));
  unsubscribe();
  console.log(
    `  linearity${tag}: chain 2×/1× per-node CPU time ${(results[`chain2k${tag}`].usCpuPerNode / results[`chain1k${tag}`].usCpuPerNode).toFixed(2)}, ` +
      `iterate ${(results[`iter20k${tag}`].usCpuPerNode / results[`iter10k${tag}`].usCpuPerNode).toFixed(2)}`,
  );
}
console.log(
  `peak RSS after the repeated 10,000-item iterate runs: ${iteratePeakRss.toFixed(0)} MB; whole run: ${peakRssMb().toFixed(0)} MB (garbage V8 had not needed to collect yet included)`,
);
console.log("targets: ≥ 20,000 nodes/s on both graphs, linear in size");

await rt.close();
await services.close();
tmp.remove();
