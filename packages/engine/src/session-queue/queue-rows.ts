import type { ExecutionStateJSON, GraphJSON } from "@atelier/core";
import { applyFieldValues } from "./batch-expansion.js";
import { QueueItemCorruptError } from "./queue-errors.js";
import type { NodeFieldValue, QueueItemStatus, SessionQueueItem, SessionQueueItemSummary } from "./queue-types.js";

/** The `session_queue` columns every read takes (everything but the session and workflow JSON). */
export const ITEM_COLUMNS = [
  "item_id",
  "queue_id",
  "batch_id",
  "session_id",
  "field_values",
  "status",
  "priority",
  "error_type",
  "error_message",
  "error_traceback",
  "created_at",
  "updated_at",
  "started_at",
  "completed_at",
  "origin",
  "destination",
  "retried_from_item_id",
  "user_id",
  "status_sequence",
] as const;

/** A `session_queue` row as read with ITEM_COLUMNS. */
export interface ItemRow {
  item_id: number;
  queue_id: string;
  batch_id: string;
  session_id: string;
  field_values: string | null;
  status: string;
  priority: number;
  error_type: string | null;
  error_message: string | null;
  error_traceback: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  origin: string | null;
  destination: string | null;
  retried_from_item_id: number | null;
  user_id: string;
  status_sequence: number;
}

/** An item row with its session and its batch's graph and workflow. */
export interface FullItemRow extends ItemRow {
  session: string;
  batch_graph: string | null;
  batch_workflow: string | null;
}

function parseJson(itemId: number, column: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new QueueItemCorruptError(itemId, column, (error as Error).message);
  }
}

/** The field values of a row. */
export function rowFieldValues(row: Pick<ItemRow, "item_id" | "field_values">): NodeFieldValue[] | null {
  if (row.field_values === null || row.field_values === "") return null;
  return parseJson(row.item_id, "field_values", row.field_values) as NodeFieldValue[];
}

/** The session graph of a row: its batch's graph with the row's field values applied. */
export function rowGraph(
  row: Pick<FullItemRow, "item_id" | "field_values" | "batch_graph">,
  batchGraph?: GraphJSON,
): GraphJSON {
  const graph =
    batchGraph ??
    (row.batch_graph === null || row.batch_graph === ""
      ? undefined
      : (parseJson(row.item_id, "session_queue_batch.graph", row.batch_graph) as GraphJSON));
  if (graph === undefined)
    throw new QueueItemCorruptError(row.item_id, "session_queue_batch.graph", "the batch has no graph");
  return applyFieldValues(graph, rowFieldValues(row));
}

/** The workflow of a row's batch, or null. */
export function rowWorkflow(row: Pick<FullItemRow, "item_id" | "batch_workflow">): Record<string, unknown> | null {
  if (row.batch_workflow === null) return null;
  return parseJson(row.item_id, "session_queue_batch.workflow", row.batch_workflow) as Record<string, unknown>;
}

/** The summary shape of a row. */
export function toSummary(row: ItemRow): SessionQueueItemSummary {
  return {
    item_id: Number(row.item_id),
    queue_id: row.queue_id,
    status: row.status as QueueItemStatus,
    priority: Number(row.priority),
    batch_id: row.batch_id,
    session_id: row.session_id,
    origin: row.origin,
    destination: row.destination,
    created_at: row.created_at,
    updated_at: row.updated_at,
    started_at: row.started_at,
    completed_at: row.completed_at,
    user_id: row.user_id,
    field_values: rowFieldValues(row),
  };
}

/**
 * The full item of a row. A session that has not started is stored as '' (its graph lives once on the batch row);
 * it is shown as the empty state of that graph, in the same shape the processor stores once it runs.
 */
export function toItem(row: FullItemRow): SessionQueueItem {
  let session: ExecutionStateJSON;
  if (row.session !== "") {
    session = parseJson(row.item_id, "session", row.session) as ExecutionStateJSON;
  } else {
    session = {
      version: 1,
      id: row.session_id,
      graph: rowGraph(row),
      results: {},
      errors: {},
      executed_history: [],
      source_prepared_mapping: {},
      log: [],
    };
  }
  const workflow = rowWorkflow(row);
  return {
    ...toSummary(row),
    status_sequence: Number(row.status_sequence),
    error_type: row.error_type,
    error_message: row.error_message,
    error_traceback: row.error_traceback,
    retried_from_item_id: row.retried_from_item_id === null ? null : Number(row.retried_from_item_id),
    session,
    workflow,
  };
}
