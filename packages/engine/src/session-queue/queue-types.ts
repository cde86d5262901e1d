import type { ExecutionStateJSON, GraphJSON } from "@atelier/core";
import type { BatchStatusPayload, SessionQueueStatusPayload } from "../events/index.js";

// The wire shapes of the session queue (InvokeAI's session_queue_common.py), snake_case as InvokeAI's API sends them.

/** Status of a queue item. `completed`, `failed` and `canceled` are terminal: an item never leaves them. */
export type QueueItemStatus = "pending" | "in_progress" | "waiting" | "completed" | "failed" | "canceled";

/** Every status, in the order counts are reported. */
export const QUEUE_ITEM_STATUSES: readonly QueueItemStatus[] = [
  "pending",
  "in_progress",
  "waiting",
  "completed",
  "failed",
  "canceled",
];

/** The statuses an item never leaves. */
export const TERMINAL_STATUSES: readonly QueueItemStatus[] = ["completed", "failed", "canceled"];

/** Whether a status is terminal. */
export function isTerminalStatus(status: QueueItemStatus): boolean {
  return status === "completed" || status === "failed" || status === "canceled";
}

/** One value a batch writes into one node field (InvokeAI's `BatchDatum`). */
export interface BatchDatum {
  node_path: string;
  field_name: string;
  items: unknown[];
}

/** InvokeAI's `Batch` JSON. */
export interface BatchInput {
  batch_id?: string;
  origin?: string | null;
  destination?: string | null;
  /** Inner lists are zipped; outer lists are combined as a cartesian product. */
  data?: BatchDatum[][] | null;
  graph: GraphJSON;
  workflow?: Record<string, unknown> | null;
  runs?: number;
}

/** A value written into a node field of one session (InvokeAI's `NodeFieldValue`). */
export interface NodeFieldValue {
  node_path: string;
  field_name: string;
  value: unknown;
}

/** What `enqueueBatch` did (InvokeAI's `EnqueueBatchResult`). */
export interface EnqueueBatchResult {
  queue_id: string;
  /** Sessions written: `requested`, or fewer when `max_queue_size` was reached. */
  enqueued: number;
  /** Sessions the batch expands to. */
  requested: number;
  /** The batch as accepted (with its `batch_id`, `runs` and `data` filled in). */
  batch: BatchInput & { batch_id: string; runs: number; data: BatchDatum[][] | null };
  priority: number;
  /** The new items, in the order they will run. */
  item_ids: number[];
}

/** The fields a queue item and its summary share. */
export interface SessionQueueItemSummary {
  item_id: number;
  queue_id: string;
  status: QueueItemStatus;
  priority: number;
  batch_id: string;
  session_id: string;
  origin: string | null;
  destination: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  user_id: string;
  field_values: NodeFieldValue[] | null;
}

/** A queue item (InvokeAI's `SessionQueueItem`). */
export interface SessionQueueItem extends SessionQueueItemSummary {
  status_sequence: number;
  error_type: string | null;
  error_message: string | null;
  error_traceback: string | null;
  retried_from_item_id: number | null;
  /** The session: its graph with the field values applied, and what has run so far. */
  session: ExecutionStateJSON;
  workflow: Record<string, unknown> | null;
}

/** Counts by status and the running item of a queue (InvokeAI's `SessionQueueStatus`). */
export type SessionQueueStatus = SessionQueueStatusPayload;

/** Counts by status of one batch (InvokeAI's `BatchStatus`). */
export type BatchStatus = BatchStatusPayload;

/** Counts by status of one destination (InvokeAI's `SessionQueueCountsByDestination`). */
export interface SessionQueueCountsByDestination {
  queue_id: string;
  destination: string;
  pending: number;
  in_progress: number;
  waiting: number;
  completed: number;
  failed: number;
  canceled: number;
  total: number;
}

/** Where a keyset page starts: after this item in processing order (priority descending, then item id). */
export interface QueueListCursor {
  item_id: number;
  priority: number;
}

/** Options of `listItems`. */
export interface QueueListOptions {
  /** Items per page (default 50, at most 1000). */
  limit?: number;
  /** Keyset paging: items after this one. Preferred for long queues. */
  cursor?: QueueListCursor | null;
  /** Offset paging (ignored when `cursor` is given). */
  offset?: number;
  status?: QueueItemStatus | null;
  destination?: string | null;
}

/** One page of queue items, in processing order. */
export interface QueueItemPage {
  items: SessionQueueItem[];
  limit: number;
  has_more: boolean;
  /** The cursor of the next page (null on the last page). */
  next_cursor: QueueListCursor | null;
  /** Items matching the filters, over all pages. */
  total: number;
}

/** An error to record on a failed item. */
export interface QueueItemError {
  error_type: string;
  error_message: string;
  error_traceback?: string | null;
}

/** A status change the queue made, as its in-process listeners see it (before any event payload is built). */
export interface QueueTransition {
  item_id: number;
  queue_id: string;
  batch_id: string;
  session_id: string;
  previous: QueueItemStatus;
  status: QueueItemStatus;
}

/** A claimed item, with what the processor needs to run it. */
export interface ClaimedQueueItem {
  item_id: number;
  queue_id: string;
  batch_id: string;
  session_id: string;
  origin: string | null;
  destination: string | null;
  user_id: string;
  priority: number;
  status_sequence: number;
  field_values: NodeFieldValue[] | null;
  workflow: Record<string, unknown> | null;
  /** The graph with the field values applied. */
  graph: GraphJSON;
  /** The session checkpoint stored by an earlier run (resumed after a crash), or null for a fresh start. */
  checkpoint: unknown;
}
