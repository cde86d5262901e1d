export * from "./queue-types.js";
export * from "./queue-errors.js";
export * from "./batch-validation.js";
export * from "./batch-expansion.js";
export * from "./session-queue.js";
export type { QueueDatabase, SessionQueueBatchTable, SessionQueueTotalsTable } from "./queue-tables.js";
