// Run by crash-recovery.test.ts in a separate process (node --import tsx, @atelier/* mapped to the sources):
// creates services on the given root, enqueues an item whose first node writes a marker file and whose second node
// sleeps for a minute, plus a second item, prints "STARTED <item_id>" when the sleep begins and waits to be killed.
import { NodeRegistry, registerCoreNodes } from "@atelier/core";
import { createQueueRuntime, createServices } from "@atelier/engine";
import { addChain, graph, TEST_NODES } from "../session-queue/queue-test-nodes.js";

const [root, marker] = process.argv.slice(2);
const registry = new NodeRegistry();
registerCoreNodes(registry);
for (const def of TEST_NODES) registry.register(def);
const services = await createServices({
  root,
  env: {},
  loadNodePacks: false,
  registry,
  overrides: { log_level: "error" },
});
// Checkpoint after every node, so that the marker node's completion is stored before the sleep starts.
const runtime = await createQueueRuntime(services, { checkpointIntervalMs: 0, pollIntervalMs: 20 });
services.events.on("invocation_started", (p) => {
  if (p.invocation_source_id === "sleep") process.stdout.write(`STARTED ${p.item_id}\n`);
});
await runtime.queue.enqueueBatch("default", {
  graph: graph({ mark: { type: "test_marker", path: marker, value: 1 }, sleep: { type: "test_sleep", ms: 60_000 } }, [
    "mark.value -> sleep.value",
  ]),
});
await runtime.queue.enqueueBatch("default", { graph: addChain(3) });
setInterval(() => undefined, 1000);
