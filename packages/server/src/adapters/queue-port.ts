import type { SessionQueue } from "@atelier/engine";
import type { BatchInput, QueuePort } from "../routes/queue-routes.js";

/** What the queue routes need from the session processor. */
export interface ProcessorControl {
  status(): { is_started: boolean; is_processing: boolean };
  pause(): void | Promise<void>;
  resume(): void | Promise<void>;
}

/** The queue routes' port over the engine's SessionQueue and the processor. */
export function queuePort(queue: SessionQueue, processor: ProcessorControl): QueuePort {
  return {
    enqueueBatch: (queueId, batch: BatchInput, prepend) => queue.enqueueBatch(queueId, batch, prepend),
    listAll: (queueId, destination) => queue.listAll(queueId, destination),
    itemIds: (queueId, orderDir) => queue.itemIds(queueId, orderDir),
    itemsByIds: (queueId, ids) => queue.itemsByIds(queueId, ids),
    itemSummariesByIds: (queueId, ids) => queue.itemSummariesByIds(queueId, ids),
    resumeProcessor: async () => {
      await processor.resume();
      return processor.status();
    },
    pauseProcessor: async () => {
      await processor.pause();
      return processor.status();
    },
    cancelAllExceptCurrent: (queueId) => queue.cancelAllExceptCurrent(queueId),
    deleteAllExceptCurrent: (queueId) => queue.deleteAllExceptCurrent(queueId),
    cancelByBatchIds: (queueId, batchIds) => queue.cancelByBatchIds(queueId, batchIds),
    cancelByDestination: (queueId, destination) => queue.cancelByDestination(queueId, destination),
    retryItemsById: (queueId, ids) => queue.retryItemsById(queueId, ids),
    clear: (queueId) => queue.clear(queueId),
    prune: (queueId) => queue.prune(queueId),
    current: (queueId) => queue.getCurrent(queueId),
    next: (queueId) => queue.getNext(queueId),
    status: async (queueId) => ({ queue: await queue.getStatus(queueId), processor: processor.status() }),
    batchStatus: (queueId, batchId) => queue.getBatchStatus(queueId, batchId),
    getItem: (queueId, itemId) => queue.getItem(queueId, itemId),
    deleteItem: (queueId, itemId) => queue.deleteItem(queueId, itemId),
    cancelItem: (queueId, itemId) => queue.cancelItem(queueId, itemId),
    countsByDestination: (queueId, destination) => queue.countsByDestination(queueId, destination),
    deleteByDestination: (queueId, destination) => queue.deleteByDestination(queueId, destination),
  };
}
