import { z } from "zod";
import { defineRoute, type AnyRouteSpec } from "../http/route-spec.js";
import { SQLiteDirection } from "../schemas/api-registry.js";
import {
  BatchStatus,
  Body_cancel_by_batch_ids,
  Body_enqueue_batch,
  Body_get_queue_item_summaries_by_ids,
  Body_get_queue_items_by_item_ids,
  CanceledCount,
  DeletedCount,
  EnqueueBatchResult,
  ItemIdsResult,
  RetryItemsResult,
  SessionProcessorStatus,
  SessionQueueAndProcessorStatus,
  SessionQueueCountsByDestination,
  SessionQueueItem,
  SessionQueueItemSummary,
} from "../schemas/queue-schemas.js";

/** A queue item, a summary or a result object as the queue service returns it (already in wire shape). */
export type QueueRecord = object;

/** The `Batch` of `enqueue_batch`, as validated by the route. */
export type BatchInput = z.output<typeof Body_enqueue_batch>["batch"];

/** What the queue routes need from the session queue and the processor. */
export interface QueuePort {
  enqueueBatch(queueId: string, batch: BatchInput, prepend: boolean): Promise<QueueRecord>;
  listAll(queueId: string, destination: string | null): Promise<QueueRecord[]>;
  itemIds(queueId: string, orderDir: "ASC" | "DESC"): Promise<{ item_ids: number[]; total_count: number }>;
  itemsByIds(queueId: string, itemIds: readonly number[]): Promise<QueueRecord[]>;
  itemSummariesByIds(queueId: string, itemIds: readonly number[]): Promise<QueueRecord[]>;
  resumeProcessor(): Promise<{ is_started: boolean; is_processing: boolean }>;
  pauseProcessor(): Promise<{ is_started: boolean; is_processing: boolean }>;
  cancelAllExceptCurrent(queueId: string): Promise<{ canceled: number }>;
  deleteAllExceptCurrent(queueId: string): Promise<{ deleted: number }>;
  cancelByBatchIds(queueId: string, batchIds: readonly string[]): Promise<{ canceled: number }>;
  cancelByDestination(queueId: string, destination: string): Promise<{ canceled: number }>;
  retryItemsById(
    queueId: string,
    itemIds: readonly number[],
  ): Promise<{ queue_id: string; retried_item_ids: number[] }>;
  clear(queueId: string): Promise<{ deleted: number }>;
  prune(queueId: string): Promise<{ deleted: number }>;
  current(queueId: string): Promise<QueueRecord | null>;
  next(queueId: string): Promise<QueueRecord | null>;
  status(queueId: string): Promise<{ queue: QueueRecord; processor: { is_started: boolean; is_processing: boolean } }>;
  batchStatus(queueId: string, batchId: string): Promise<QueueRecord>;
  getItem(queueId: string, itemId: number): Promise<QueueRecord>;
  deleteItem(queueId: string, itemId: number): Promise<void>;
  cancelItem(queueId: string, itemId: number): Promise<QueueRecord>;
  countsByDestination(queueId: string, destination: string): Promise<QueueRecord>;
  deleteByDestination(queueId: string, destination: string): Promise<{ deleted: number }>;
}

const QueueParams = z.object({ queue_id: z.string().describe("The queue id to perform this operation on") });
const ItemParams = QueueParams.extend({ item_id: z.number().int().describe("The queue item to get") });
const CancelAllExceptCurrentResult = CanceledCount("CancelAllExceptCurrentResult");
const CancelByBatchIDsResult = CanceledCount("CancelByBatchIDsResult");
const CancelByDestinationResult = CanceledCount("CancelByDestinationResult");
const DeleteAllExceptCurrentResult = DeletedCount("DeleteAllExceptCurrentResult");
const ClearResult = DeletedCount("ClearResult");
const PruneResult = DeletedCount("PruneResult");
const DeleteByDestinationResult = DeletedCount("DeleteByDestinationResult");

/** `/api/v1/queue/{queue_id}/*`: every session queue route of InvokeAI. */
export function queueRoutes(deps: { queue: QueuePort }): AnyRouteSpec[] {
  const { queue } = deps;
  const tag = "queue";
  const prefix = "/api/v1/queue/{queue_id}";
  return [
    defineRoute({
      method: "POST",
      path: `${prefix}/enqueue_batch`,
      operationId: "enqueue_batch",
      tag,
      summary: "Enqueue Batch",
      description: "Processes a batch and enqueues the output graphs for execution",
      params: QueueParams,
      body: Body_enqueue_batch,
      response: { schema: EnqueueBatchResult, status: 201, description: "Created" },
      handler: async ({ params, body, reply }) => {
        const result = await queue.enqueueBatch(params.queue_id, body.batch, body.prepend);
        void reply.status(201);
        return result;
      },
    }),
    defineRoute({
      method: "GET",
      path: `${prefix}/list_all`,
      operationId: "list_all_queue_items",
      tag,
      summary: "List All Queue Items",
      description: "Gets all queue items",
      params: QueueParams,
      query: z.object({
        destination: z.string().nullable().optional().describe("The destination of queue items to fetch"),
      }),
      response: { schema: z.array(SessionQueueItem) },
      handler: ({ params, query }) => queue.listAll(params.queue_id, query.destination ?? null),
    }),
    defineRoute({
      method: "GET",
      path: `${prefix}/item_ids`,
      operationId: "get_queue_item_ids",
      tag,
      summary: "Get Queue Item Ids",
      description: "Gets all queue item ids that match the given parameters",
      params: QueueParams,
      query: z.object({ order_dir: SQLiteDirection.default("DESC").describe("The order of sort") }),
      response: { schema: ItemIdsResult },
      handler: ({ params, query }) => queue.itemIds(params.queue_id, query.order_dir),
    }),
    defineRoute({
      method: "POST",
      path: `${prefix}/items_by_ids`,
      operationId: "get_queue_items_by_item_ids",
      tag,
      summary: "Get Queue Items By Item Ids",
      description: "Gets queue items for the specified queue item ids. Maintains order of item ids.",
      params: QueueParams,
      body: Body_get_queue_items_by_item_ids,
      response: { schema: z.array(SessionQueueItem) },
      handler: ({ params, body }) => queue.itemsByIds(params.queue_id, body.item_ids),
    }),
    defineRoute({
      method: "POST",
      path: `${prefix}/item_summaries_by_ids`,
      operationId: "get_queue_item_summaries_by_ids",
      tag,
      summary: "Get Queue Item Summaries By Ids",
      description: "Gets queue item summaries for the specified queue item ids. Maintains order of item ids.",
      params: QueueParams,
      body: Body_get_queue_item_summaries_by_ids,
      response: { schema: z.array(SessionQueueItemSummary) },
      handler: ({ params, body }) => queue.itemSummariesByIds(params.queue_id, body.item_ids),
    }),
    defineRoute({
      method: "PUT",
      path: `${prefix}/processor/resume`,
      operationId: "resume",
      tag,
      summary: "Resume",
      description: "Resumes session processor",
      params: QueueParams,
      response: { schema: SessionProcessorStatus },
      handler: () => queue.resumeProcessor(),
    }),
    defineRoute({
      method: "PUT",
      path: `${prefix}/processor/pause`,
      operationId: "pause",
      tag,
      summary: "Pause",
      description: "Pauses session processor",
      params: QueueParams,
      response: { schema: SessionProcessorStatus },
      handler: () => queue.pauseProcessor(),
    }),
    defineRoute({
      method: "PUT",
      path: `${prefix}/cancel_all_except_current`,
      operationId: "cancel_all_except_current",
      tag,
      summary: "Cancel All Except Current",
      description: "Immediately cancels all queue items except in-processing items",
      params: QueueParams,
      response: { schema: CancelAllExceptCurrentResult },
      handler: ({ params }) => queue.cancelAllExceptCurrent(params.queue_id),
    }),
    defineRoute({
      method: "PUT",
      path: `${prefix}/delete_all_except_current`,
      operationId: "delete_all_except_current",
      tag,
      summary: "Delete All Except Current",
      description: "Immediately deletes all queue items except in-processing items",
      params: QueueParams,
      response: { schema: DeleteAllExceptCurrentResult },
      handler: ({ params }) => queue.deleteAllExceptCurrent(params.queue_id),
    }),
    defineRoute({
      method: "PUT",
      path: `${prefix}/cancel_by_batch_ids`,
      operationId: "cancel_by_batch_ids",
      tag,
      summary: "Cancel By Batch Ids",
      description: "Immediately cancels all queue items from the given batch ids",
      params: QueueParams,
      body: Body_cancel_by_batch_ids,
      response: { schema: CancelByBatchIDsResult },
      handler: ({ params, body }) => queue.cancelByBatchIds(params.queue_id, body.batch_ids),
    }),
    defineRoute({
      method: "PUT",
      path: `${prefix}/cancel_by_destination`,
      operationId: "cancel_by_destination",
      tag,
      summary: "Cancel By Destination",
      description: "Immediately cancels all queue items with the given destination",
      params: QueueParams,
      query: z.object({ destination: z.string().describe("The destination to cancel all queue items for") }),
      response: { schema: CancelByDestinationResult },
      handler: ({ params, query }) => queue.cancelByDestination(params.queue_id, query.destination),
    }),
    defineRoute({
      method: "PUT",
      path: `${prefix}/retry_items_by_id`,
      operationId: "retry_items_by_id",
      tag,
      summary: "Retry Items By Id",
      description: "Immediately retries all given failed or canceled queue items",
      params: QueueParams,
      body: z.array(z.number().int()).describe("The queue item ids to retry"),
      response: { schema: RetryItemsResult },
      handler: ({ params, body }) => queue.retryItemsById(params.queue_id, body),
    }),
    defineRoute({
      method: "PUT",
      path: `${prefix}/clear`,
      operationId: "clear",
      tag,
      summary: "Clear",
      description: "Clears the queue entirely, immediately canceling the currently-executing session",
      params: QueueParams,
      response: { schema: ClearResult },
      handler: ({ params }) => queue.clear(params.queue_id),
    }),
    defineRoute({
      method: "PUT",
      path: `${prefix}/prune`,
      operationId: "prune",
      tag,
      summary: "Prune",
      description: "Prunes all completed or errored queue items",
      params: QueueParams,
      response: { schema: PruneResult },
      handler: ({ params }) => queue.prune(params.queue_id),
    }),
    defineRoute({
      method: "GET",
      path: `${prefix}/current`,
      operationId: "get_current_queue_item",
      tag,
      summary: "Get Current Queue Item",
      description: "Gets the currently execution queue item",
      params: QueueParams,
      response: { schema: SessionQueueItem.nullable() },
      handler: ({ params }) => queue.current(params.queue_id),
    }),
    defineRoute({
      method: "GET",
      path: `${prefix}/next`,
      operationId: "get_next_queue_item",
      tag,
      summary: "Get Next Queue Item",
      description: "Gets the next queue item, without executing it",
      params: QueueParams,
      response: { schema: SessionQueueItem.nullable() },
      handler: ({ params }) => queue.next(params.queue_id),
    }),
    defineRoute({
      method: "GET",
      path: `${prefix}/status`,
      operationId: "get_queue_status",
      tag,
      summary: "Get Queue Status",
      description: "Gets the status of the session queue",
      params: QueueParams,
      response: { schema: SessionQueueAndProcessorStatus },
      handler: ({ params }) => queue.status(params.queue_id),
    }),
    defineRoute({
      method: "GET",
      path: `${prefix}/b/{batch_id}/status`,
      operationId: "get_batch_status",
      tag,
      summary: "Get Batch Status",
      description: "Gets the status of the session queue",
      params: QueueParams.extend({ batch_id: z.string().describe("The batch to get the status of") }),
      response: { schema: BatchStatus },
      handler: ({ params }) => queue.batchStatus(params.queue_id, params.batch_id),
    }),
    defineRoute({
      method: "GET",
      path: `${prefix}/i/{item_id}`,
      operationId: "get_queue_item",
      tag,
      summary: "Get Queue Item",
      description: "Gets a queue item",
      params: ItemParams,
      response: { schema: SessionQueueItem },
      handler: ({ params }) => queue.getItem(params.queue_id, params.item_id),
    }),
    defineRoute({
      method: "DELETE",
      path: `${prefix}/i/{item_id}`,
      operationId: "delete_queue_item",
      tag,
      summary: "Delete Queue Item",
      description: "Deletes a queue item (canceling it first if it is running)",
      params: ItemParams,
      response: { schema: null },
      handler: async ({ params }) => {
        await queue.deleteItem(params.queue_id, params.item_id);
        return null;
      },
    }),
    defineRoute({
      method: "PUT",
      path: `${prefix}/i/{item_id}/cancel`,
      operationId: "cancel_queue_item",
      tag,
      summary: "Cancel Queue Item",
      description: "Cancels a queue item; a pending item never affects the running one",
      params: ItemParams,
      response: { schema: SessionQueueItem },
      handler: ({ params }) => queue.cancelItem(params.queue_id, params.item_id),
    }),
    defineRoute({
      method: "GET",
      path: `${prefix}/counts_by_destination`,
      operationId: "counts_by_destination",
      tag,
      summary: "Counts By Destination",
      description: "Gets the counts of queue items by destination",
      params: QueueParams,
      query: z.object({ destination: z.string().describe("The destination to query") }),
      response: { schema: SessionQueueCountsByDestination },
      handler: ({ params, query }) => queue.countsByDestination(params.queue_id, query.destination),
    }),
    defineRoute({
      method: "DELETE",
      path: `${prefix}/d/{destination}`,
      operationId: "delete_by_destination",
      tag,
      summary: "Delete By Destination",
      description: "Deletes all items with the given destination",
      params: QueueParams.extend({ destination: z.string().describe("The destination to query") }),
      response: { schema: DeleteByDestinationResult },
      handler: ({ params }) => queue.deleteByDestination(params.queue_id, params.destination),
    }),
  ];
}
