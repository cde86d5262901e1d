import { z } from "zod";
import { JsonObject, named } from "./api-registry.js";
import { Graph, SessionQueueItem } from "./queue-schemas.js";
import { WorkflowWithoutID } from "./workflow-schemas.js";

const runOptions = {
  inputs: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('Values for node fields, keyed "<node_id>.<field>" (e.g. {"prompt.value": "a cat"})'),
  queue_id: z.string().default("default").describe("The queue to enqueue on"),
  prepend: z.boolean().default(false).describe("Put the run ahead of everything pending"),
  origin: z.string().default("headless").describe("The origin recorded on the queue item"),
  destination: z.string().nullable().optional().describe("The destination recorded on the queue item"),
};

export const Body_run_workflow = named("Body_run_workflow", z.object(runOptions));

export const Body_run_graph = named(
  "Body_run_graph",
  z.object({
    graph: Graph.describe("The graph to run"),
    workflow: WorkflowWithoutID.nullable().optional().describe("A workflow to embed in output images"),
    ...runOptions,
  }),
);

export const ResolvedExposedField = named(
  "ResolvedExposedField",
  z.object({
    nodeId: z.string(),
    fieldName: z.string(),
    nodeType: z.string(),
    label: z.string(),
    value: z.unknown().optional(),
  }),
);

export const HeadlessRunResult = named(
  "HeadlessRunResult",
  z.object({
    queue_id: z.string(),
    batch_id: z.string(),
    item_ids: z.array(z.number().int()).describe("One item per session; batch nodes can make several"),
    enqueued: z.number().int(),
    requested: z.number().int(),
    priority: z.number().int(),
    item: SessionQueueItem.describe("The first enqueued queue item"),
    exposed_fields: z.array(ResolvedExposedField).describe("The workflow's exposed fields (empty for graphs)"),
  }),
  "What a headless run enqueued",
);

export const RunImageRef = named(
  "RunImageRef",
  z.object({ image_name: z.string(), node_id: z.string(), image_url: z.string(), thumbnail_url: z.string() }),
);

export const HeadlessWaitResult = named(
  "HeadlessWaitResult",
  z.object({
    queue_id: z.string(),
    item_id: z.number().int(),
    session_id: z.string(),
    status: z.enum(["pending", "in_progress", "waiting", "completed", "failed", "canceled"]),
    done: z.boolean().describe("Whether the item ended (completed, failed or canceled)"),
    timed_out: z.boolean().describe("Whether the wait gave up before the item ended"),
    outputs: JsonObject.describe("Source node id → output, or a list of outputs for nodes run once per iteration"),
    images: z.array(RunImageRef),
    error: z.object({ node_id: z.string().nullable(), error_type: z.string(), error_message: z.string() }).nullable(),
  }),
  "A queue item's end state and outputs",
);
