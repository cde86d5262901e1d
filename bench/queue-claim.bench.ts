/**
 * Claim + complete throughput of the session queue (SQLite file): each item is claimed (next pending by priority,
 * marked in progress, counts kept) and completed with a small session (one transaction each). InvokeAI: 32 ms per
 * item; target ≤ 1 ms. Run: npx tsx bench/queue-claim.bench.ts (RUNS=n, ITEMS=n per run).
 * "listened": an any-event listener is attached (as the socket.io bridge does), so every transition also builds its
 * queue_item_status_changed payload with the fresh batch and queue status.
 */
import { cpuMs, ensureSourceAliases, machineLine, median, repeat, tempRoot } from "./queue-bench-support.js";

ensureSourceAliases(import.meta.url);

const core = await import("@atelier/core");
const engine = await import("@atelier/engine");
const primitives = await import("../packages/nodes/src/primitives/primitive-nodes.js");

const RUNS = Number(process.env.RUNS ?? 5);
const ITEMS = Number(process.env.ITEMS ?? 1000);
const BACKLOG = 5000;

const registry = new core.NodeRegistry();
core.registerCoreNodes(registry);
registry.register(primitives.IntegerInvocation);

const tmp = tempRoot("atelier-bench-claim-");
const opened = await engine.openDatabase({ db_backend: "sqlite", paths: { db: `${tmp.root}/atelier.db` } });
const events = new engine.EventBus();
const queue = new engine.SessionQueue({
  db: opened.db,
  dialect: opened.dialect,
  lookup: registry,
  events,
  maxQueueSize: 100_000,
});
const graph = { id: "one", nodes: { a: { id: "a", type: "integer", value: 1 } }, edges: [] };
const session = JSON.stringify({
  version: 1,
  id: "s",
  graph,
  results: { a: { value: 1, type: "integer_output" } },
  errors: {},
  log: [1, "a"],
});

async function measure(listened: boolean) {
  const unsubscribe = listened ? events.onAny(() => undefined) : () => undefined;
  const runs = await repeat(RUNS, 1, async () => {
    await queue.clear("default");
    // A realistic backlog: finished history and other pending work in the same queue.
    await queue.enqueueBatch("default", {
      graph,
      data: [[{ node_path: "a", field_name: "value", items: Array.from({ length: BACKLOG }, (_, i) => i) }]],
    });
    await queue.enqueueBatch(
      "default",
      { graph, data: [[{ node_path: "a", field_name: "value", items: Array.from({ length: ITEMS }, (_, i) => i) }]] },
      true,
    );
    const w0 = performance.now();
    const c0 = cpuMs();
    for (let i = 0; i < ITEMS; i++) {
      const item = await queue.claimNext("default");
      if (item === null) throw new Error("nothing to claim");
      await queue.completeItem(item.item_id, session);
    }
    return { wall: performance.now() - w0, cpu: cpuMs() - c0 };
  });
  unsubscribe();
  const wall = median(runs.map((r) => r.wall));
  const cpu = median(runs.map((r) => r.cpu));
  console.log(
    `  ${listened ? "listened  " : "unlistened"} ${((wall * 1000) / ITEMS).toFixed(0).padStart(5)} µs per item (CPU ${((cpu * 1000) / ITEMS).toFixed(0)} µs)  ` +
      `${Math.round((ITEMS / wall) * 1000).toLocaleString("en")} items/s`,
  );
}

console.log(
  `claim + complete, ${ITEMS} items ahead of ${BACKLOG} pending — ${machineLine()}, median of ${RUNS} runs (target ≤ 1,000 µs; InvokeAI 32,000 µs)`,
);
await measure(false);
await measure(true);
await opened.close();
tmp.remove();
