import type { GraphJSON, NodeTypeLookup } from "@atelier/core";
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from "kysely";
import type { Database, DatabaseDialect } from "../database/index.js";
import { nowTimestamp } from "../database/index.js";
import type { EventBus, Unsubscribe } from "../events/index.js";
import type { Logger } from "../logging/index.js";
import { expandFieldValues } from "./batch-expansion.js";
import { sessionCount, validateBatch } from "./batch-validation.js";
import {
  BatchIdInUseError,
  QueueItemCorruptError,
  QueueItemNotFoundError,
  SessionInterruptedError,
} from "./queue-errors.js";
import {
  ITEM_COLUMNS,
  rowFieldValues,
  rowGraph,
  rowWorkflow,
  toItem,
  toSummary,
  type FullItemRow,
  type ItemRow,
} from "./queue-rows.js";
import {
  adjustBatchCounts,
  adjustQueueTotals,
  claimNextPending,
  ensureQueueTotals,
  insertSessionRows,
  saveRunningSession,
  selectBatchDocuments,
  selectBatchStatus,
  selectItemRow,
  selectQueueStatus,
  updateStatusIf,
  type TransitionFields,
} from "./queue-sql.js";
import type { QueueDatabase, QueueDb } from "./queue-tables.js";
import { sessionIdGenerator } from "./session-ids.js";
import {
  QUEUE_ITEM_STATUSES,
  TERMINAL_STATUSES,
  isTerminalStatus,
  type BatchStatus,
  type ClaimedQueueItem,
  type EnqueueBatchResult,
  type QueueItemError,
  type QueueItemPage,
  type QueueItemStatus,
  type QueueListOptions,
  type QueueTransition,
  type SessionQueueCountsByDestination,
  type SessionQueueItem,
  type SessionQueueItemSummary,
  type SessionQueueStatus,
} from "./queue-types.js";

/** The user id of single-user mode. */
const SYSTEM_USER = "system";
/** Most ids one `IN (…)` list carries (SQLite allows 32,766 parameters; PostgreSQL 65,535). */
const IN_CHUNK = 500;
/** Parsed batch graphs kept for claims (items of one batch run one after the other). */
const BATCH_GRAPH_CACHE = 8;

/** Options of `SessionQueue`. */
export interface SessionQueueOptions {
  db: Kysely<Database>;
  dialect: DatabaseDialect;
  /** Node types, to validate batches. */
  lookup: NodeTypeLookup;
  /** Where queue events go; without one none are emitted. */
  events?: EventBus;
  logger?: Logger;
  /** Most pending items (config `max_queue_size`, default 10,000). */
  maxQueueSize?: number;
}

/** What start-up does with the queue (the config fields of the same names). */
export interface QueueStartupPolicy {
  resume_interrupted?: boolean;
  clear_queue_on_startup?: boolean;
  max_queue_history?: number | null;
}

/** What start-up recovery did. */
export interface RecoveryReport {
  /** Items that were running and are now failed with a SessionInterruptedError. */
  failed: number[];
  /** Items that were running and are pending again (resume_interrupted). */
  requeued: number[];
  /** Finished items deleted by `clear_queue_on_startup` or `max_queue_history`. */
  deleted: number;
}

type ItemFilter = (eb: ExpressionBuilder<QueueDatabase, "session_queue">) => Expression<SqlBool>;

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function emptyCounts() {
  return { pending: 0, in_progress: 0, waiting: 0, completed: 0, failed: 0, canceled: 0, total: 0 };
}

function countsOf(row: Partial<Record<QueueItemStatus, number | string>> | undefined) {
  const counts = emptyCounts();
  if (row === undefined) return counts;
  for (const s of QUEUE_ITEM_STATUSES) {
    counts[s] = Number(row[s] ?? 0);
    counts.total += counts[s];
  }
  return counts;
}

/**
 * The persistent session queue (InvokeAI's SqliteSessionQueue, on SQLite or PostgreSQL). A batch's graph and
 * workflow are stored once; each session row holds its field values and, once it runs, its session checkpoint.
 * Every status change is one transaction that refuses to leave a terminal status, bumps `status_sequence` and keeps
 * the batch and queue counts; after it commits, in-process listeners hear of it at once and, when anyone listens,
 * `queue_item_status_changed` is emitted with the fresh batch and queue status.
 */
export class SessionQueue {
  readonly #db: QueueDb;
  readonly #dialect: DatabaseDialect;
  readonly #lookup: NodeTypeLookup;
  readonly #events: EventBus | undefined;
  readonly #logger: Logger | undefined;
  readonly #maxQueueSize: number;
  readonly #transitionListeners = new Set<(t: QueueTransition) => void>();
  readonly #enqueueListeners = new Set<(queueId: string, itemIds: readonly number[]) => void>();
  /** Parsed graphs of recently claimed batches: the items of one batch share it (never mutated; nodes are copied on use). */
  readonly #batchGraphs = new Map<string, { text: string; graph: GraphJSON }>();

  constructor(options: SessionQueueOptions) {
    this.#db = options.db.withTables<Omit<QueueDatabase, keyof Database>>();
    this.#dialect = options.dialect;
    this.#lookup = options.lookup;
    this.#events = options.events;
    this.#logger = options.logger;
    this.#maxQueueSize = options.maxQueueSize ?? 10_000;
  }

  /** Most pending items. */
  get maxQueueSize(): number {
    return this.#maxQueueSize;
  }

  // ------------------------------------------------------------------ listeners

  /** Calls `listener` synchronously after every committed status change (the processor's cancel hook). */
  onTransition(listener: (t: QueueTransition) => void): Unsubscribe {
    const entry = (t: QueueTransition) => listener(t);
    this.#transitionListeners.add(entry);
    return () => void this.#transitionListeners.delete(entry);
  }

  /** Calls `listener` after items were enqueued (or retried), so that an idle processor wakes at once. */
  onEnqueued(listener: (queueId: string, itemIds: readonly number[]) => void): Unsubscribe {
    const entry = (q: string, ids: readonly number[]) => listener(q, ids);
    this.#enqueueListeners.add(entry);
    return () => void this.#enqueueListeners.delete(entry);
  }

  #notifyTransitions(rows: readonly ItemRow[], previous: (row: ItemRow) => QueueItemStatus): void {
    if (this.#transitionListeners.size === 0) return;
    for (const row of rows) {
      const t: QueueTransition = {
        item_id: Number(row.item_id),
        queue_id: row.queue_id,
        batch_id: row.batch_id,
        session_id: row.session_id,
        previous: previous(row),
        status: row.status as QueueItemStatus,
      };
      for (const listener of [...this.#transitionListeners]) {
        try {
          listener(t);
        } catch (error) {
          this.#logger?.error("A queue transition listener failed", { err: error, item_id: t.item_id });
        }
      }
    }
  }

  #notifyEnqueued(queueId: string, itemIds: readonly number[]): void {
    if (itemIds.length === 0) return;
    for (const listener of [...this.#enqueueListeners]) {
      try {
        listener(queueId, itemIds);
      } catch (error) {
        this.#logger?.error("A queue enqueue listener failed", { err: error, queue_id: queueId });
      }
    }
  }

  #listening(
    name:
      "queue_item_status_changed" | "batch_enqueued" | "queue_cleared" | "queue_items_retried" | "queue_items_canceled",
  ): boolean {
    return this.#events !== undefined && this.#events.listenerCount(name) > 0;
  }

  /** Emits `queue_item_status_changed` for each row, with the batch and queue status as they are now. */
  async #emitStatusChanged(rows: readonly ItemRow[]): Promise<void> {
    if (rows.length === 0 || !this.#listening("queue_item_status_changed")) return;
    const queues = new Map<string, SessionQueueStatus>();
    const batches = new Map<string, BatchStatus>();
    for (const row of rows) {
      if (!queues.has(row.queue_id)) queues.set(row.queue_id, await this.getStatus(row.queue_id));
      if (!batches.has(row.batch_id)) batches.set(row.batch_id, await this.getBatchStatus(row.queue_id, row.batch_id));
    }
    for (const row of rows) {
      this.#events!.emit("queue_item_status_changed", {
        queue_id: row.queue_id,
        item_id: Number(row.item_id),
        batch_id: row.batch_id,
        origin: row.origin,
        destination: row.destination,
        user_id: row.user_id,
        status: row.status as QueueItemStatus,
        status_sequence: Number(row.status_sequence),
        error_type: row.error_type,
        error_message: row.error_message,
        error_traceback: row.error_traceback,
        created_at: row.created_at,
        updated_at: row.updated_at,
        started_at: row.started_at,
        completed_at: row.completed_at,
        session_id: row.session_id,
        batch_status: batches.get(row.batch_id)!,
        queue_status: queues.get(row.queue_id)!,
      });
    }
  }

  // ------------------------------------------------------------------ enqueue

  /**
   * Validates a whole batch (refusing it with a typed error naming the problem), expands it into sessions (zipped
   * groups, cartesian product across groups, × runs), caps them at `max_queue_size` pending items, and writes them in
   * one transaction. Prepended batches get a priority above everything pending. Emits `batch_enqueued`.
   */
  async enqueueBatch(queueId: string, batch: unknown, prepend = false): Promise<EnqueueBatchResult> {
    const valid = validateBatch(batch, this.#lookup);
    const requested = sessionCount(valid);
    const now = nowTimestamp();
    const graphText = JSON.stringify(valid.graphJson);
    const workflowText = valid.workflow === null ? null : JSON.stringify(valid.workflow);

    const { itemIds, priority } = await this.#db.transaction().execute(async (trx) => {
      await ensureQueueTotals(trx, queueId);
      // Locked on PostgreSQL so that two enqueues at once cannot both fill the same room.
      const totalsQuery = trx.selectFrom("session_queue_totals").select("pending").where("queue_id", "=", queueId);
      const totals = await (this.#dialect === "postgres" ? totalsQuery.forUpdate() : totalsQuery).executeTakeFirst();
      const room = Math.max(0, this.#maxQueueSize - Number(totals?.pending ?? 0));
      let priority = 0;
      if (prepend) {
        const top = await trx
          .selectFrom("session_queue")
          .select("priority")
          .where("queue_id", "=", queueId)
          .where("status", "=", "pending")
          .orderBy("priority", "desc")
          .limit(1)
          .executeTakeFirst();
        priority = Number(top?.priority ?? 0) + 1;
      }
      const fieldValues = expandFieldValues(valid.data, valid.runs, Math.min(requested, room));
      if (fieldValues.length === 0) return { itemIds: [] as number[], priority };
      const inserted = await trx
        .insertInto("session_queue_batch")
        .values({
          batch_id: valid.batch_id,
          queue_id: queueId,
          graph: graphText,
          workflow: workflowText,
          origin: valid.origin,
          destination: valid.destination,
          user_id: SYSTEM_USER,
          created_at: now,
          pending: fieldValues.length,
        })
        .onConflict((oc) => oc.column("batch_id").doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) throw new BatchIdInUseError(valid.batch_id);
      const nextSessionId = sessionIdGenerator();
      let rowsJson = "[";
      for (let i = 0; i < fieldValues.length; i++) {
        if (i > 0) rowsJson += ",";
        rowsJson += `{"s":"${nextSessionId()}","f":${fieldValues[i] ?? "null"}}`;
      }
      rowsJson += "]";
      const itemIds = await insertSessionRows(
        trx,
        this.#dialect,
        {
          batch_id: valid.batch_id,
          queue_id: queueId,
          priority,
          origin: valid.origin,
          destination: valid.destination,
          user_id: SYSTEM_USER,
          now,
        },
        rowsJson,
      );
      await adjustQueueTotals(trx, queueId, { pending: itemIds.length });
      return { itemIds, priority };
    });

    const result: EnqueueBatchResult = {
      queue_id: queueId,
      enqueued: itemIds.length,
      requested,
      batch: {
        batch_id: valid.batch_id,
        origin: valid.origin,
        destination: valid.destination,
        data: valid.data,
        graph: valid.graphJson,
        workflow: valid.workflow,
        runs: valid.runs,
      },
      priority,
      item_ids: itemIds,
    };
    if (itemIds.length < requested) {
      this.#logger?.warning(`Queue "${queueId}" is full: enqueued ${itemIds.length} of ${requested} sessions`, {
        queue_id: queueId,
        batch_id: valid.batch_id,
        max_queue_size: this.#maxQueueSize,
      });
    }
    this.#notifyEnqueued(queueId, itemIds);
    if (this.#listening("batch_enqueued")) {
      this.#events!.emit("batch_enqueued", {
        queue_id: queueId,
        batch_id: valid.batch_id,
        enqueued: itemIds.length,
        requested,
        priority,
        origin: valid.origin,
        user_id: SYSTEM_USER,
      });
    }
    return result;
  }

  // ------------------------------------------------------------------ claims and transitions

  /**
   * Takes the next pending item of the queue (highest priority, then oldest) and marks it in progress, in one
   * transaction. Returns null when nothing is pending.
   */
  async claimNext(queueId: string): Promise<ClaimedQueueItem | null> {
    for (;;) {
      const claimed = await claimNextPending(this.#db, this.#dialect, queueId, nowTimestamp());
      if (claimed === undefined) return null;
      this.#notifyTransitions([claimed], () => "pending");
      await this.#emitStatusChanged([claimed]);
      try {
        return await this.#prepareClaimed(claimed);
      } catch (error) {
        // A row that cannot be read back must not stay in progress forever: fail it and take the next one.
        const e = error instanceof Error ? error : new Error(String(error));
        this.#logger?.error(`Queue item ${claimed.item_id} cannot be run: ${e.message}`, {
          queue_item_id: claimed.item_id,
        });
        await this.failItem(Number(claimed.item_id), {
          error_type: e.name,
          error_message: e.message,
          error_traceback: e.stack ?? null,
        });
      }
    }
  }

  /** The parsed batch graph, reused while its text is the same (a batch id may come back with another graph). */
  #parsedBatchGraph(batchId: string, text: string | undefined): GraphJSON | undefined {
    if (text === undefined || text === "") return undefined;
    const hit = this.#batchGraphs.get(batchId);
    if (hit !== undefined && hit.text === text) return hit.graph;
    const graph = JSON.parse(text) as GraphJSON;
    this.#batchGraphs.delete(batchId);
    this.#batchGraphs.set(batchId, { text, graph });
    if (this.#batchGraphs.size > BATCH_GRAPH_CACHE)
      this.#batchGraphs.delete(this.#batchGraphs.keys().next().value as string);
    return graph;
  }

  async #prepareClaimed(claimed: ItemRow & { session: string }): Promise<ClaimedQueueItem> {
    const batch = await selectBatchDocuments(this.#db, this.#dialect, claimed.batch_id);
    let checkpoint: { graph?: GraphJSON } | null = null;
    if (claimed.session !== "") {
      try {
        checkpoint = JSON.parse(claimed.session) as { graph?: GraphJSON };
      } catch (error) {
        throw new QueueItemCorruptError(Number(claimed.item_id), "session", (error as Error).message);
      }
    }
    const full: FullItemRow = {
      ...claimed,
      batch_graph: batch?.graph ?? null,
      batch_workflow: batch?.workflow ?? null,
    };
    return {
      item_id: Number(claimed.item_id),
      queue_id: claimed.queue_id,
      batch_id: claimed.batch_id,
      session_id: claimed.session_id,
      origin: claimed.origin,
      destination: claimed.destination,
      user_id: claimed.user_id,
      priority: Number(claimed.priority),
      status_sequence: Number(claimed.status_sequence),
      field_values: rowFieldValues(claimed),
      workflow: rowWorkflow(full),
      graph: checkpoint?.graph ?? rowGraph(full, this.#parsedBatchGraph(claimed.batch_id, batch?.graph)),
      checkpoint,
    };
  }

  /**
   * Moves one item to `to` in one transaction, unless it is terminal (or not in `from`): bumps status_sequence, sets
   * the timestamps and error fields, optionally stores the session, and keeps the counts. Returns the row after the
   * call and whether it changed; undefined when there is no such item.
   */
  async #transition(
    itemId: number,
    to: QueueItemStatus,
    options: {
      from?: readonly QueueItemStatus[];
      error?: QueueItemError | null;
      session?: string;
      queueId?: string;
    } = {},
  ): Promise<{ row: ItemRow; previous: QueueItemStatus; changed: boolean } | undefined> {
    const now = nowTimestamp();
    const error = options.error;
    // One UPDATE that only matches the status it was read in (compare-and-set), so the change is atomic without an
    // explicit transaction, a terminal status can never be left, and the triggers keep the counts.
    const fields: TransitionFields = {
      ...(to === "in_progress" ? { started_at: now } : {}),
      ...(isTerminalStatus(to) ? { completed_at: now } : {}),
      ...(error == null
        ? {}
        : {
            error_type: error.error_type,
            error_message: error.error_message,
            error_traceback: error.error_traceback ?? null,
          }),
      ...(options.session === undefined ? {} : { session: options.session }),
    };
    const update = (expected: QueueItemStatus) =>
      updateStatusIf(this.#db, this.#dialect, itemId, expected, to, now, fields);

    let result: { row: ItemRow; previous: QueueItemStatus; changed: boolean } | undefined;
    const known = options.from?.length === 1 ? options.from[0] : undefined;
    const firstTry = known === undefined || options.queueId !== undefined ? undefined : await update(known);
    if (firstTry !== undefined) {
      result = { row: firstTry, previous: known!, changed: true };
    } else {
      for (let attempt = 0; ; attempt++) {
        const current = await selectItemRow(this.#db, itemId);
        if (current === undefined || (options.queueId !== undefined && current.queue_id !== options.queueId))
          return undefined;
        const previous = current.status as QueueItemStatus;
        if (
          isTerminalStatus(previous) ||
          previous === to ||
          (options.from !== undefined && !options.from.includes(previous)) ||
          attempt >= 5
        ) {
          if (options.session !== undefined && !isTerminalStatus(previous))
            await this.saveSession(itemId, options.session);
          return { row: current, previous, changed: false };
        }
        const row = await update(previous);
        if (row !== undefined) {
          result = { row, previous, changed: true };
          break;
        }
        // Another writer changed it between the read and the update: read again.
      }
    }
    this.#notifyTransitions([result.row], () => result.previous);
    await this.#emitStatusChanged([result.row]);
    return result;
  }

  /** Stores the session of a running item (a checkpoint); false when the item is no longer in progress. */
  async saveSession(itemId: number, session: string): Promise<boolean> {
    return saveRunningSession(this.#db, this.#dialect, itemId, session, nowTimestamp());
  }

  /** Marks a running item completed and stores its final session, in one transaction; false if it was no longer running. */
  async completeItem(itemId: number, session?: string): Promise<boolean> {
    const r = await this.#transition(itemId, "completed", { from: ["in_progress"], session });
    return r?.changed ?? false;
  }

  /** Marks an item failed with its error (and stores its session); false if it was already finished. */
  async failItem(itemId: number, error: QueueItemError, session?: string): Promise<boolean> {
    const r = await this.#transition(itemId, "failed", { error, session });
    return r?.changed ?? false;
  }

  /** Stores the session of an item that was canceled while running (it stays canceled). */
  async storeFinalSession(itemId: number, session: string): Promise<void> {
    await this.#db.updateTable("session_queue").set({ session }).where("item_id", "=", itemId).execute();
  }

  // ------------------------------------------------------------------ reads

  #fullItems() {
    return this.#db
      .selectFrom("session_queue")
      .leftJoin("session_queue_batch", "session_queue_batch.batch_id", "session_queue.batch_id")
      .select(ITEM_COLUMNS.map((c) => `session_queue.${c}` as const))
      .select([
        "session_queue.session",
        "session_queue_batch.graph as batch_graph",
        "session_queue_batch.workflow as batch_workflow",
      ]);
  }

  /** One item; throws QueueItemNotFoundError when the queue has no such item. */
  async getItem(queueId: string, itemId: number): Promise<SessionQueueItem> {
    const row = await this.#fullItems()
      .where("session_queue.item_id", "=", itemId)
      .where("session_queue.queue_id", "=", queueId)
      .executeTakeFirst();
    if (row === undefined) throw new QueueItemNotFoundError(itemId, queueId);
    return toItem(row as FullItemRow);
  }

  /** The running item of the queue, or null. */
  async getCurrent(queueId: string): Promise<SessionQueueItem | null> {
    const row = await this.#fullItems()
      .where("session_queue.queue_id", "=", queueId)
      .where("session_queue.status", "=", "in_progress")
      .orderBy("session_queue.priority", "desc")
      .orderBy("session_queue.item_id", "asc")
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : toItem(row as FullItemRow);
  }

  /** The item that would be claimed next, or null. */
  async getNext(queueId: string): Promise<SessionQueueItem | null> {
    const row = await this.#fullItems()
      .where("session_queue.queue_id", "=", queueId)
      .where("session_queue.status", "=", "pending")
      .orderBy("session_queue.priority", "desc")
      .orderBy("session_queue.item_id", "asc")
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : toItem(row as FullItemRow);
  }

  /**
   * A page of items in processing order (priority descending, then item id), optionally of one status and/or
   * destination. Keyset paging with `cursor` (the previous page's `next_cursor`) costs the same on every page;
   * `offset` paging is there for clients that need page numbers.
   */
  async listItems(queueId: string, options: QueueListOptions = {}): Promise<QueueItemPage> {
    const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 50)), 1000);
    let page = this.#fullItems().where("session_queue.queue_id", "=", queueId);
    if (options.status != null) page = page.where("session_queue.status", "=", options.status);
    if (options.destination != null) page = page.where("session_queue.destination", "=", options.destination);
    const cursor = options.cursor;
    if (cursor != null) {
      page = page.where((eb) =>
        eb.or([
          eb("session_queue.priority", "<", cursor.priority),
          eb.and([
            eb("session_queue.priority", "=", cursor.priority),
            eb("session_queue.item_id", ">", cursor.item_id),
          ]),
        ]),
      );
    }
    page = page
      .orderBy("session_queue.priority", "desc")
      .orderBy("session_queue.item_id", "asc")
      .limit(limit + 1);
    if (cursor == null && options.offset !== undefined && options.offset > 0)
      page = page.offset(Math.floor(options.offset));
    const rows = (await page.execute()) as FullItemRow[];
    let countQuery = this.#db
      .selectFrom("session_queue")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("queue_id", "=", queueId);
    if (options.status != null) countQuery = countQuery.where("status", "=", options.status);
    if (options.destination != null) countQuery = countQuery.where("destination", "=", options.destination);
    const total = Number((await countQuery.executeTakeFirst())?.n ?? 0);
    const hasMore = rows.length > limit;
    const items = rows.slice(0, limit).map(toItem);
    const last = items[items.length - 1];
    return {
      items,
      limit,
      has_more: hasMore,
      next_cursor: hasMore && last !== undefined ? { item_id: last.item_id, priority: last.priority } : null,
      total,
    };
  }

  /** Every item of the queue in processing order, optionally of one destination. */
  async listAll(queueId: string, destination: string | null = null): Promise<SessionQueueItem[]> {
    let q = this.#fullItems().where("session_queue.queue_id", "=", queueId);
    if (destination !== null) q = q.where("session_queue.destination", "=", destination);
    const rows = await q.orderBy("session_queue.priority", "desc").orderBy("session_queue.item_id", "asc").execute();
    return (rows as FullItemRow[]).map(toItem);
  }

  /** Every item id of the queue, by item id in the given direction, and how many there are. */
  async itemIds(
    queueId: string,
    orderDir: "ASC" | "DESC" = "DESC",
  ): Promise<{ item_ids: number[]; total_count: number }> {
    const rows = await this.#db
      .selectFrom("session_queue")
      .select("item_id")
      .where("queue_id", "=", queueId)
      .orderBy("item_id", orderDir === "ASC" ? "asc" : "desc")
      .execute();
    return { item_ids: rows.map((r) => Number(r.item_id)), total_count: rows.length };
  }

  /** The items with these ids, in the order given (unknown ids are skipped). */
  async itemsByIds(queueId: string, itemIds: readonly number[]): Promise<SessionQueueItem[]> {
    const byId = new Map<number, SessionQueueItem>();
    for (const ids of chunks(itemIds, IN_CHUNK)) {
      const rows = await this.#fullItems()
        .where("session_queue.queue_id", "=", queueId)
        .where("session_queue.item_id", "in", ids)
        .execute();
      for (const row of rows as FullItemRow[]) byId.set(Number(row.item_id), toItem(row));
    }
    return itemIds.flatMap((id) => byId.get(id) ?? []);
  }

  /** Summaries (no session, no workflow) of the items with these ids, in the order given. */
  async itemSummariesByIds(queueId: string, itemIds: readonly number[]): Promise<SessionQueueItemSummary[]> {
    const byId = new Map<number, SessionQueueItemSummary>();
    for (const ids of chunks(itemIds, IN_CHUNK)) {
      const rows = await this.#db
        .selectFrom("session_queue")
        .select(ITEM_COLUMNS)
        .where("queue_id", "=", queueId)
        .where("item_id", "in", ids)
        .execute();
      for (const row of rows as ItemRow[]) byId.set(Number(row.item_id), toSummary(row));
    }
    return itemIds.flatMap((id) => byId.get(id) ?? []);
  }

  /** Counts by status of the queue and its running item (two indexed reads, whatever the queue size). */
  async getStatus(queueId: string): Promise<SessionQueueStatus> {
    const row = await selectQueueStatus(this.#db, this.#dialect, queueId);
    return {
      queue_id: queueId,
      item_id: row.item_id === null ? null : Number(row.item_id),
      batch_id: row.batch_id,
      session_id: row.session_id,
      ...countsOf(row as Partial<Record<QueueItemStatus, number>>),
    };
  }

  /** Counts by status of one batch (all zero for an unknown batch). */
  async getBatchStatus(queueId: string, batchId: string): Promise<BatchStatus> {
    const row = await selectBatchStatus(this.#db, this.#dialect, queueId, batchId);
    return {
      queue_id: queueId,
      batch_id: batchId,
      origin: row?.origin ?? null,
      destination: row?.destination ?? null,
      ...countsOf(row),
    };
  }

  /** Counts by status of the items of one destination. */
  async countsByDestination(queueId: string, destination: string): Promise<SessionQueueCountsByDestination> {
    const rows = await this.#db
      .selectFrom("session_queue")
      .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
      .where("queue_id", "=", queueId)
      .where("destination", "=", destination)
      .groupBy("status")
      .execute();
    const byStatus: Partial<Record<QueueItemStatus, number>> = {};
    for (const r of rows) byStatus[r.status as QueueItemStatus] = Number(r.n);
    return { queue_id: queueId, destination, ...countsOf(byStatus) };
  }

  /** Whether nothing is pending. */
  async isEmpty(queueId: string): Promise<boolean> {
    return (await this.getStatus(queueId)).pending === 0;
  }

  /** Whether the pending items reached `max_queue_size`. */
  async isFull(queueId: string): Promise<boolean> {
    return (await this.getStatus(queueId)).pending >= this.#maxQueueSize;
  }

  // ------------------------------------------------------------------ cancel

  /** Cancels one item (a no-op on a finished one); the processor stops it at once if it is running. */
  async cancelItem(queueId: string, itemId: number): Promise<SessionQueueItem> {
    const r = await this.#transition(itemId, "canceled", { queueId });
    if (r === undefined) throw new QueueItemNotFoundError(itemId, queueId);
    return this.getItem(queueId, itemId);
  }

  /** Cancels every unfinished item of these batches, the running one included. */
  async cancelByBatchIds(queueId: string, batchIds: readonly string[]): Promise<{ canceled: number }> {
    let canceled = 0;
    for (const ids of chunks(batchIds, IN_CHUNK))
      canceled += await this.#cancelWhere(queueId, (eb) => eb("batch_id", "in", ids), true);
    return { canceled };
  }

  /** Cancels every unfinished item of a destination, the running one included. */
  async cancelByDestination(queueId: string, destination: string): Promise<{ canceled: number }> {
    return { canceled: await this.#cancelWhere(queueId, (eb) => eb("destination", "=", destination), true) };
  }

  /** Cancels every unfinished item of the queue, the running one included. */
  async cancelByQueueId(queueId: string): Promise<{ canceled: number }> {
    return { canceled: await this.#cancelWhere(queueId, undefined, true) };
  }

  /** Cancels every pending item; the running one goes on. */
  async cancelAllExceptCurrent(queueId: string): Promise<{ canceled: number }> {
    return { canceled: await this.#cancelWhere(queueId, undefined, false) };
  }

  /**
   * Cancels the pending items that match in one bulk transaction; running ones (when asked) one by one, so that the
   * processor hears of each. Emits a status event per item and one `queue_items_canceled`.
   */
  async #cancelWhere(queueId: string, filter: ItemFilter | undefined, includeRunning: boolean): Promise<number> {
    const now = nowTimestamp();
    let q = this.#db
      .updateTable("session_queue")
      .set((eb) => ({
        status: "canceled",
        status_sequence: eb("status_sequence", "+", 1),
        updated_at: now,
        completed_at: now,
      }))
      .where("queue_id", "=", queueId)
      .where("status", "=", "pending");
    if (filter !== undefined) q = q.where(filter);
    const rows = (await q.returning(ITEM_COLUMNS).execute()) as ItemRow[];
    const canceledRows = [...rows];
    if (includeRunning) {
      let q = this.#db
        .selectFrom("session_queue")
        .select("item_id")
        .where("queue_id", "=", queueId)
        .where("status", "=", "in_progress");
      if (filter !== undefined) q = q.where(filter);
      for (const { item_id } of await q.execute()) {
        const r = await this.#transition(Number(item_id), "canceled", { from: ["in_progress"] });
        if (r?.changed) canceledRows.push(r.row);
      }
    }
    this.#notifyTransitions(rows, () => "pending");
    await this.#emitStatusChanged(rows);
    if (canceledRows.length > 0 && this.#listening("queue_items_canceled")) {
      const ids = canceledRows.map((r) => Number(r.item_id));
      const byUser: Record<string, number[]> = {};
      for (const r of canceledRows) (byUser[r.user_id] ??= []).push(Number(r.item_id));
      this.#events!.emit("queue_items_canceled", {
        queue_id: queueId,
        canceled_item_ids: ids,
        user_ids: Object.keys(byUser),
        canceled_item_ids_by_user: byUser,
      });
    }
    return canceledRows.length;
  }

  // ------------------------------------------------------------------ delete

  /** Deletes one item, canceling it first when it is unfinished (so a running one is stopped). */
  async deleteItem(queueId: string, itemId: number): Promise<void> {
    const r = await this.#transition(itemId, "canceled", { queueId });
    if (r === undefined) throw new QueueItemNotFoundError(itemId, queueId);
    await this.#deleteWhere(queueId, (eb) => eb("item_id", "=", itemId));
  }

  /** Deletes every item but the running one. */
  async deleteAllExceptCurrent(queueId: string): Promise<{ deleted: number }> {
    return { deleted: await this.#deleteWhere(queueId, (eb) => eb("status", "!=", "in_progress")) };
  }

  /** Deletes every item of a destination, canceling the running one first if it is one of them. */
  async deleteByDestination(queueId: string, destination: string): Promise<{ deleted: number }> {
    await this.#cancelRunning(queueId, (eb) => eb("destination", "=", destination));
    return { deleted: await this.#deleteWhere(queueId, (eb) => eb("destination", "=", destination)) };
  }

  /** Deletes every finished item (completed, failed, canceled). */
  async prune(queueId: string): Promise<{ deleted: number }> {
    return { deleted: await this.#deleteWhere(queueId, (eb) => eb("status", "in", TERMINAL_STATUSES)) };
  }

  /** Cancels the running item, deletes every item of the queue and emits `queue_cleared`. */
  async clear(queueId: string): Promise<{ deleted: number }> {
    await this.#cancelRunning(queueId, undefined);
    const deleted = await this.#db.transaction().execute(async (trx) => {
      const res = await trx.deleteFrom("session_queue").where("queue_id", "=", queueId).executeTakeFirst();
      await trx.deleteFrom("session_queue_batch").where("queue_id", "=", queueId).execute();
      await trx.deleteFrom("session_queue_totals").where("queue_id", "=", queueId).execute();
      return Number(res.numDeletedRows);
    });
    if (this.#listening("queue_cleared")) this.#events!.emit("queue_cleared", { queue_id: queueId, user_id: null });
    return { deleted };
  }

  async #cancelRunning(queueId: string, filter: ItemFilter | undefined): Promise<void> {
    let q = this.#db
      .selectFrom("session_queue")
      .select("item_id")
      .where("queue_id", "=", queueId)
      .where("status", "=", "in_progress");
    if (filter !== undefined) q = q.where(filter);
    for (const { item_id } of await q.execute())
      await this.#transition(Number(item_id), "canceled", { from: ["in_progress"] });
  }

  /** Deletes matching rows in one transaction (the triggers keep the counts) and drops batches left without items. */
  async #deleteWhere(queueId: string, filter: ItemFilter): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const rows = await trx
        .deleteFrom("session_queue")
        .where("queue_id", "=", queueId)
        .where(filter)
        .returning("batch_id")
        .execute();
      if (rows.length === 0) return 0;
      for (const ids of chunks([...new Set(rows.map((r) => r.batch_id))], IN_CHUNK)) {
        await trx
          .deleteFrom("session_queue_batch")
          .where("batch_id", "in", ids)
          .where((eb) =>
            eb(
              eb(
                "pending",
                "+",
                eb("in_progress", "+", eb("waiting", "+", eb("completed", "+", eb("failed", "+", eb.ref("canceled"))))),
              ),
              "=",
              0,
            ),
          )
          .execute();
      }
      return rows.length;
    });
  }

  // ------------------------------------------------------------------ retry

  /**
   * Enqueues a fresh copy of each failed or canceled item among `itemIds` (same batch, field values, priority,
   * origin and destination; `retried_from_item_id` names the original) and emits `queue_items_retried`. Returns the
   * ids of the items that were retried.
   */
  async retryItemsById(
    queueId: string,
    itemIds: readonly number[],
  ): Promise<{ queue_id: string; retried_item_ids: number[] }> {
    const now = nowTimestamp();
    const { retried, newIds, users } = await this.#db.transaction().execute(async (trx) => {
      const retried: number[] = [];
      const newIds: number[] = [];
      const users: Record<string, number[]> = {};
      for (const ids of chunks(itemIds, IN_CHUNK)) {
        const rows = (await trx
          .selectFrom("session_queue")
          .select(ITEM_COLUMNS)
          .where("queue_id", "=", queueId)
          .where("item_id", "in", ids)
          .where("status", "in", ["failed", "canceled"])
          .orderBy("item_id")
          .execute()) as ItemRow[];
        for (const row of rows) {
          const inserted = await trx
            .insertInto("session_queue")
            .values({
              batch_id: row.batch_id,
              queue_id: queueId,
              session_id: sessionIdGenerator()(),
              field_values: row.field_values,
              session: "",
              status: "pending",
              priority: row.priority,
              origin: row.origin,
              destination: row.destination,
              user_id: row.user_id,
              created_at: now,
              updated_at: now,
              status_sequence: 0,
              error_type: null,
              error_message: null,
              error_traceback: null,
              started_at: null,
              completed_at: null,
              workflow: null,
              retried_from_item_id: row.retried_from_item_id ?? row.item_id,
            })
            .returning("item_id")
            .executeTakeFirstOrThrow();
          await adjustBatchCounts(trx, row.batch_id, { pending: 1 });
          retried.push(Number(row.item_id));
          newIds.push(Number(inserted.item_id));
          (users[row.user_id] ??= []).push(Number(row.item_id));
        }
      }
      if (retried.length > 0) await adjustQueueTotals(trx, queueId, { pending: retried.length });
      return { retried, newIds, users };
    });
    this.#notifyEnqueued(queueId, newIds);
    if (retried.length > 0 && this.#listening("queue_items_retried")) {
      this.#events!.emit("queue_items_retried", {
        queue_id: queueId,
        retried_item_ids: retried,
        user_ids: Object.keys(users),
        retried_item_ids_by_user: users,
      });
    }
    return { queue_id: queueId, retried_item_ids: retried };
  }

  // ------------------------------------------------------------------ start-up

  /**
   * Handles items left running by a process that stopped: each is failed with a SessionInterruptedError (not
   * silently lost), or, with `resume`, put back to pending so that the processor resumes it from its last
   * checkpoint. Call once at start-up, before the processor starts.
   */
  async recoverInterrupted(options: { resume?: boolean } = {}): Promise<RecoveryReport> {
    const rows = await this.#db
      .selectFrom("session_queue")
      .select("item_id")
      .where("status", "in", ["in_progress", "waiting"])
      .orderBy("item_id")
      .execute();
    const report: RecoveryReport = { failed: [], requeued: [], deleted: 0 };
    for (const { item_id } of rows) {
      const id = Number(item_id);
      if (options.resume) {
        const r = await this.#transition(id, "pending", { from: ["in_progress", "waiting"] });
        if (r?.changed) report.requeued.push(id);
      } else {
        const error = new SessionInterruptedError(id);
        const r = await this.#transition(id, "failed", {
          error: { error_type: error.name, error_message: error.message, error_traceback: null },
        });
        if (r?.changed) report.failed.push(id);
      }
    }
    if (report.failed.length + report.requeued.length > 0) {
      this.#logger?.warning(
        `Recovered ${report.failed.length + report.requeued.length} interrupted queue item(s): ` +
          `${report.requeued.length} resumed, ${report.failed.length} failed`,
        { failed: report.failed, requeued: report.requeued },
      );
    }
    return report;
  }

  /**
   * Every stored-object name (`<kind>_<uuid>`, e.g. `Tensor_…`) of the given kinds that any queue item's session
   * or field values mention, read in pages of item ids so that a large queue never sits in memory whole.
   */
  async referencedObjectNames(kinds: readonly string[]): Promise<Set<string>> {
    const names = new Set<string>();
    const pattern = new RegExp(`"((?:${kinds.join("|")})_[0-9a-f-]{36})"`, "g");
    const scan = (text: string | null): void => {
      for (const match of (text ?? "").matchAll(pattern)) names.add(match[1]!);
    };
    // Items: their session once claimed, and the batch data applied to them.
    for (let after = -1; ;) {
      const rows = await this.#db
        .selectFrom("session_queue")
        .select(["item_id", "session", "field_values"])
        .where("item_id", ">", after)
        .orderBy("item_id")
        .limit(500)
        .execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        scan(row.session);
        scan(row.field_values);
      }
      after = Number(rows[rows.length - 1]!.item_id);
    }
    // Batches: pending items hold no session yet, only their batch's graph.
    for (let after = ""; ;) {
      const rows = await this.#db
        .selectFrom("session_queue_batch")
        .select(["batch_id", "graph"])
        .where("batch_id", ">", after)
        .orderBy("batch_id")
        .limit(500)
        .execute();
      if (rows.length === 0) return names;
      for (const row of rows) scan(row.graph);
      after = rows[rows.length - 1]!.batch_id;
    }
  }

  /** Start-up: recovers interrupted items, then applies `clear_queue_on_startup` or `max_queue_history`. */
  async applyStartupPolicy(policy: QueueStartupPolicy): Promise<RecoveryReport> {
    const report = await this.recoverInterrupted({ resume: policy.resume_interrupted ?? false });
    const queues = await this.#db.selectFrom("session_queue_totals").select("queue_id").execute();
    for (const { queue_id } of queues) {
      if (policy.clear_queue_on_startup) {
        report.deleted += (await this.clear(queue_id)).deleted;
      } else if (policy.max_queue_history != null) {
        const keep = Math.max(0, Math.floor(policy.max_queue_history));
        const boundary = await this.#db
          .selectFrom("session_queue")
          .select("item_id")
          .where("queue_id", "=", queue_id)
          .where("status", "in", TERMINAL_STATUSES)
          .orderBy("item_id", "desc")
          .offset(keep)
          .limit(1)
          .executeTakeFirst();
        if (boundary !== undefined) {
          const last = Number(boundary.item_id);
          report.deleted += await this.#deleteWhere(queue_id, (eb) =>
            eb.and([eb("status", "in", TERMINAL_STATUSES), eb("item_id", "<=", last)]),
          );
        }
      }
    }
    return report;
  }
}
