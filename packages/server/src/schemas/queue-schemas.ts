import { z } from "zod";
import { JsonObject, named } from "./api-registry.js";
import { WorkflowWithoutID } from "./workflow-schemas.js";

export const EdgeConnection = named("EdgeConnection", z.object({ node_id: z.string(), field: z.string() }));
export const Edge = named("Edge", z.object({ source: EdgeConnection, destination: EdgeConnection }));

/** `Graph`: shape only; the queue validates nodes and edges against the node registry and names each problem. */
export const Graph = named(
  "Graph",
  z.object({
    id: z.string().optional().describe("The id of this graph"),
    nodes: z.record(z.string(), JsonObject).default({}).describe("The nodes in this graph"),
    edges: z.array(Edge).default([]).describe("The connections between nodes and their fields in this graph"),
  }),
);

const BatchItem = z.union([z.string(), z.number(), JsonObject]);
export const BatchDatum = named(
  "BatchDatum",
  z.object({
    node_path: z.string().describe("The node into which this batch data collection will be substituted."),
    field_name: z.string().describe("The field into which this batch data collection will be substituted."),
    items: z
      .array(z.union([BatchItem, z.array(BatchItem)]))
      .default([])
      .describe("The list of items to substitute into the node/field."),
  }),
);

export const Batch = named(
  "Batch",
  z.object({
    batch_id: z.string().optional().describe("The ID of the batch"),
    origin: z.string().nullable().optional().describe("The origin of this queue item."),
    destination: z.string().nullable().optional().describe("The destination of this queue item."),
    data: z.array(z.array(BatchDatum)).nullable().optional().describe("The batch data collection."),
    graph: Graph.describe("The graph to initialize the session with"),
    workflow: WorkflowWithoutID.nullable().optional().describe("The workflow to initialize the session with"),
    runs: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("Int stating how many times to iterate through all possible batch indices"),
  }),
);

export const Body_enqueue_batch = named(
  "Body_enqueue_batch",
  z.object({
    batch: Batch.describe("Batch to process"),
    prepend: z.boolean().default(false).describe("Whether or not to prepend this batch in the queue"),
  }),
);

export const EnqueueBatchResult = named(
  "EnqueueBatchResult",
  z.object({
    queue_id: z.string(),
    enqueued: z.number().int(),
    requested: z.number().int(),
    batch: JsonObject,
    priority: z.number().int(),
    item_ids: z.array(z.number().int()),
  }),
);

export const QueueItemStatus = z.enum(["pending", "in_progress", "waiting", "completed", "failed", "canceled"]);

export const NodeFieldValue = named(
  "NodeFieldValue",
  z.object({ node_path: z.string(), field_name: z.string(), value: z.unknown() }),
);

const itemCommon = {
  item_id: z.number().int(),
  status: QueueItemStatus,
  batch_id: z.string(),
  origin: z.string().nullable().optional(),
  destination: z.string().nullable().optional(),
  created_at: z.string(),
  started_at: z.string().nullable().optional(),
  completed_at: z.string().nullable().optional(),
  user_id: z.string(),
  field_values: z.array(NodeFieldValue).nullable().optional(),
};

export const SessionQueueItem = named(
  "SessionQueueItem",
  z.object({
    ...itemCommon,
    status_sequence: z.number().int().nullable().optional(),
    priority: z.number().int(),
    session_id: z.string(),
    error_type: z.string().nullable().optional(),
    error_message: z.string().nullable().optional(),
    error_traceback: z.string().nullable().optional(),
    updated_at: z.string(),
    queue_id: z.string(),
    retried_from_item_id: z.number().int().nullable().optional(),
    session: JsonObject.describe("The fully-populated session to be executed"),
    workflow: JsonObject.nullable().optional(),
  }),
);

export const SessionQueueItemSummary = named("SessionQueueItemSummary", z.object(itemCommon));

const counts = {
  pending: z.number().int(),
  in_progress: z.number().int(),
  waiting: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  canceled: z.number().int(),
  total: z.number().int(),
};

export const SessionQueueStatus = named(
  "SessionQueueStatus",
  z.object({
    queue_id: z.string(),
    item_id: z.number().int().nullable(),
    batch_id: z.string().nullable(),
    session_id: z.string().nullable(),
    ...counts,
  }),
);

export const BatchStatus = named(
  "BatchStatus",
  z.object({
    queue_id: z.string(),
    batch_id: z.string(),
    origin: z.string().nullable(),
    destination: z.string().nullable(),
    ...counts,
  }),
);

export const SessionProcessorStatus = named(
  "SessionProcessorStatus",
  z.object({ is_started: z.boolean(), is_processing: z.boolean() }),
);

export const SessionQueueAndProcessorStatus = named(
  "SessionQueueAndProcessorStatus",
  z.object({ queue: SessionQueueStatus, processor: SessionProcessorStatus }),
);

export const SessionQueueCountsByDestination = named(
  "SessionQueueCountsByDestination",
  z.object({ queue_id: z.string(), destination: z.string(), ...counts }),
);

export const ItemIdsResult = named(
  "ItemIdsResult",
  z.object({ item_ids: z.array(z.number().int()), total_count: z.number().int() }),
);
export const CanceledCount = (id: string) => named(id, z.object({ canceled: z.number().int() }));
export const DeletedCount = (id: string) => named(id, z.object({ deleted: z.number().int() }));
export const RetryItemsResult = named(
  "RetryItemsResult",
  z.object({ queue_id: z.string(), retried_item_ids: z.array(z.number().int()) }),
);
export const Body_cancel_by_batch_ids = named(
  "Body_cancel_by_batch_ids",
  z.object({ batch_ids: z.array(z.string()).describe("The list of batch_ids to cancel all queue items for") }),
);
export const Body_get_queue_items_by_item_ids = named(
  "Body_get_queue_items_by_item_ids",
  z.object({
    item_ids: z.array(z.number().int()).describe("Object containing list of queue item ids to fetch queue items for"),
  }),
);
export const Body_get_queue_item_summaries_by_ids = named(
  "Body_get_queue_item_summaries_by_ids",
  z.object({ item_ids: z.array(z.number().int()) }),
);
