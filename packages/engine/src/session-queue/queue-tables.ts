import type { ColumnType, Kysely } from "kysely";
import type { Database, JsonText, Timestamp } from "../database/index.js";

/** A column with a database default: optional on insert, present on select. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** `session_queue_batch` (migration 003): a batch's graph and workflow, stored once, and its status counts. */
export interface SessionQueueBatchTable {
  batch_id: string;
  queue_id: string;
  /** The batch's graph JSON before field values are applied. */
  graph: JsonText;
  workflow: JsonText | null;
  origin: string | null;
  destination: string | null;
  user_id: Defaulted<string>;
  created_at: Defaulted<Timestamp>;
  pending: Defaulted<number>;
  in_progress: Defaulted<number>;
  waiting: Defaulted<number>;
  completed: Defaulted<number>;
  failed: Defaulted<number>;
  canceled: Defaulted<number>;
}

/** `session_queue_totals` (migration 003): status counts of a whole queue. */
export interface SessionQueueTotalsTable {
  queue_id: string;
  pending: Defaulted<number>;
  in_progress: Defaulted<number>;
  waiting: Defaulted<number>;
  completed: Defaulted<number>;
  failed: Defaulted<number>;
  canceled: Defaulted<number>;
}

/** The schema as the session queue sees it: the shared tables plus its own. */
export interface QueueDatabase extends Database {
  session_queue_batch: SessionQueueBatchTable;
  session_queue_totals: SessionQueueTotalsTable;
}

/** A Kysely handle typed with the queue's tables. */
export type QueueDb = Kysely<QueueDatabase>;
