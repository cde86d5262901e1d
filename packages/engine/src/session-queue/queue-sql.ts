import { CompiledQuery, sql, type Kysely, type Transaction } from "kysely";
import type { DatabaseDialect } from "../database/index.js";
import { ITEM_COLUMNS, type ItemRow } from "./queue-rows.js";
import type { QueueDatabase } from "./queue-tables.js";
import type { QueueItemStatus } from "./queue-types.js";

// The few statements that differ between SQLite and PostgreSQL. Everything else in the queue is portable Kysely.

/** The shared columns of the rows one enqueue writes. */
export interface SessionRowsCommon {
  batch_id: string;
  queue_id: string;
  priority: number;
  origin: string | null;
  destination: string | null;
  user_id: string;
  now: string;
}

/**
 * Inserts many pending sessions with ONE statement: the per-row values (session id, field values JSON) travel as one
 * JSON array parameter that the database unpacks (`json_each` / `json_array_elements`), which costs a fraction of
 * binding thousands of parameters. `rowsJson` is `[{"s": session_id, "f": field_values | null}, …]`. Returns the new
 * item ids, ascending (= insertion order).
 */
export async function insertSessionRows(
  trx: Transaction<QueueDatabase>,
  dialect: DatabaseDialect,
  common: SessionRowsCommon,
  rowsJson: string,
): Promise<number[]> {
  const c = common;
  const query =
    dialect === "sqlite"
      ? sql<{ item_id: number }>`INSERT INTO session_queue
          (batch_id, queue_id, session_id, field_values, session, status, priority, origin, destination, user_id,
           created_at, updated_at, status_sequence)
          SELECT ${c.batch_id}, ${c.queue_id}, json_extract(value, '$.s'), json_extract(value, '$.f'), '', 'pending',
            ${c.priority}, ${c.origin}, ${c.destination}, ${c.user_id}, ${c.now}, ${c.now}, 0
          FROM json_each(${rowsJson}) ORDER BY key
          RETURNING item_id`
      : sql<{ item_id: number }>`INSERT INTO session_queue
          (batch_id, queue_id, session_id, field_values, session, status, priority, origin, destination, user_id,
           created_at, updated_at, status_sequence)
          SELECT ${c.batch_id}, ${c.queue_id}, e.value->>'s',
            CASE WHEN json_typeof(e.value->'f') = 'array' THEN (e.value->'f')::text END, '', 'pending',
            ${c.priority}::integer, ${c.origin}::text, ${c.destination}::text, ${c.user_id}, ${c.now}, ${c.now}, 0
          FROM json_array_elements(${rowsJson}::json) WITH ORDINALITY AS e(value, ord) ORDER BY e.ord
          RETURNING item_id`;
  const result = await query.execute(trx);
  return result.rows.map((r) => Number(r.item_id)).sort((a, b) => a - b);
}

// The statements every item runs through (claim, batch read, status change, checkpoint) skip Kysely's query
// builder: they are written once per dialect and executed as compiled queries, which halves their cost.

/** A placeholder numbering for one statement: `?` on SQLite, `$1, $2, …` on PostgreSQL. */
function placeholders(dialect: DatabaseDialect): () => string {
  let n = 0;
  return dialect === "postgres" ? () => `$${++n}` : () => "?";
}

const RETURNED = ITEM_COLUMNS.join(", ");

function claimSql(dialect: DatabaseDialect): string {
  const p = placeholders(dialect);
  return `UPDATE session_queue SET status = 'in_progress', status_sequence = status_sequence + 1, updated_at = ${p()}, started_at = ${p()}
    WHERE item_id = (SELECT item_id FROM session_queue WHERE queue_id = ${p()} AND status = 'pending'
      ORDER BY priority DESC, item_id ASC LIMIT 1${dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : ""})
    AND status = 'pending'
    RETURNING ${RETURNED}, session`;
}

const CLAIM_SQL: Record<DatabaseDialect, string> = { sqlite: claimSql("sqlite"), postgres: claimSql("postgres") };

/**
 * Claims the next pending item of a queue (priority first, then insertion order) in ONE statement: an UPDATE whose
 * subquery picks the row. On PostgreSQL the subquery locks it with `FOR UPDATE SKIP LOCKED`, so several workers
 * never take the same item and never wait on each other; on SQLite the statement runs alone on the connection.
 * The status triggers keep the counts. Returns the claimed row, or undefined when nothing is pending.
 */
export async function claimNextPending(
  db: Kysely<QueueDatabase>,
  dialect: DatabaseDialect,
  queueId: string,
  now: string,
): Promise<(ItemRow & { session: string }) | undefined> {
  const result = await db.executeQuery<ItemRow & { session: string }>(
    CompiledQuery.raw(CLAIM_SQL[dialect], [now, now, queueId]),
  );
  return result.rows[0];
}

const BATCH_SQL: Record<DatabaseDialect, string> = {
  sqlite: "SELECT graph, workflow FROM session_queue_batch WHERE batch_id = ?",
  postgres: "SELECT graph, workflow FROM session_queue_batch WHERE batch_id = $1",
};

/** The graph and workflow JSON of a batch. */
export async function selectBatchDocuments(
  db: Kysely<QueueDatabase>,
  dialect: DatabaseDialect,
  batchId: string,
): Promise<{ graph: string; workflow: string | null } | undefined> {
  const result = await db.executeQuery<{ graph: string; workflow: string | null }>(
    CompiledQuery.raw(BATCH_SQL[dialect], [batchId]),
  );
  return result.rows[0];
}

/** The columns a status change sets besides status, status_sequence and updated_at. */
export interface TransitionFields {
  started_at?: string;
  completed_at?: string;
  error_type?: string;
  error_message?: string;
  error_traceback?: string | null;
  session?: string;
}

/**
 * Compare-and-set of one item's status: changes it only if it still is `expected`, bumping status_sequence.
 * Returns the row after the change, or undefined when the status was not `expected` any more.
 */
export async function updateStatusIf(
  db: Kysely<QueueDatabase>,
  dialect: DatabaseDialect,
  itemId: number,
  expected: string,
  to: string,
  now: string,
  fields: TransitionFields,
): Promise<ItemRow | undefined> {
  const p = placeholders(dialect);
  let sets = `status = ${p()}, status_sequence = status_sequence + 1, updated_at = ${p()}`;
  const params: unknown[] = [to, now];
  for (const key of [
    "started_at",
    "completed_at",
    "error_type",
    "error_message",
    "error_traceback",
    "session",
  ] as const) {
    if (fields[key] === undefined) continue;
    sets += `, ${key} = ${p()}`;
    params.push(fields[key]);
  }
  params.push(itemId, expected);
  const text = `UPDATE session_queue SET ${sets} WHERE item_id = ${p()} AND status = ${p()} RETURNING ${RETURNED}`;
  const result = await db.executeQuery<ItemRow>(CompiledQuery.raw(text, params));
  return result.rows[0];
}

const SAVE_SQL: Record<DatabaseDialect, string> = {
  sqlite: "UPDATE session_queue SET session = ?, updated_at = ? WHERE item_id = ? AND status = 'in_progress'",
  postgres: "UPDATE session_queue SET session = $1, updated_at = $2 WHERE item_id = $3 AND status = 'in_progress'",
};

/** Stores the session of a running item; false when it is not in progress any more. */
export async function saveRunningSession(
  db: Kysely<QueueDatabase>,
  dialect: DatabaseDialect,
  itemId: number,
  session: string,
  now: string,
): Promise<boolean> {
  const result = await db.executeQuery(CompiledQuery.raw(SAVE_SQL[dialect], [session, now, itemId]));
  return Number(result.numAffectedRows ?? 0) > 0;
}

const COUNT_COLUMNS = "pending, in_progress, waiting, completed, failed, canceled";

function queueStatusSql(dialect: DatabaseDialect): string {
  const p = placeholders(dialect);
  const counts = COUNT_COLUMNS.split(", ")
    .map((c) => `t.${c}`)
    .join(", ");
  return `SELECT ${counts}, c.item_id, c.batch_id, c.session_id
    FROM (SELECT ${p()}${dialect === "postgres" ? "::text" : ""} AS queue_id) q
    LEFT JOIN session_queue_totals t ON t.queue_id = q.queue_id
    LEFT JOIN (SELECT item_id, batch_id, session_id FROM session_queue WHERE queue_id = ${p()} AND status = 'in_progress'
      ORDER BY priority DESC, item_id ASC LIMIT 1) c ON 1 = 1`;
}

const QUEUE_STATUS_SQL: Record<DatabaseDialect, string> = {
  sqlite: queueStatusSql("sqlite"),
  postgres: queueStatusSql("postgres"),
};

/** A queue's counts (null when it never had items) and its running item, in one statement. */
export interface QueueStatusRow {
  pending: number | null;
  in_progress: number | null;
  waiting: number | null;
  completed: number | null;
  failed: number | null;
  canceled: number | null;
  item_id: number | null;
  batch_id: string | null;
  session_id: string | null;
}

/** Reads a queue's counts and running item (every status event carries them). */
export async function selectQueueStatus(
  db: Kysely<QueueDatabase>,
  dialect: DatabaseDialect,
  queueId: string,
): Promise<QueueStatusRow> {
  const result = await db.executeQuery<QueueStatusRow>(
    CompiledQuery.raw(QUEUE_STATUS_SQL[dialect], [queueId, queueId]),
  );
  return result.rows[0];
}

const BATCH_STATUS_SQL: Record<DatabaseDialect, string> = {
  sqlite: `SELECT origin, destination, ${COUNT_COLUMNS} FROM session_queue_batch WHERE batch_id = ? AND queue_id = ?`,
  postgres: `SELECT origin, destination, ${COUNT_COLUMNS} FROM session_queue_batch WHERE batch_id = $1 AND queue_id = $2`,
};

/** Reads a batch's counts, origin and destination. */
export async function selectBatchStatus(
  db: Kysely<QueueDatabase>,
  dialect: DatabaseDialect,
  queueId: string,
  batchId: string,
): Promise<(Record<QueueItemStatus, number> & { origin: string | null; destination: string | null }) | undefined> {
  const result = await db.executeQuery<
    Record<QueueItemStatus, number> & { origin: string | null; destination: string | null }
  >(CompiledQuery.raw(BATCH_STATUS_SQL[dialect], [batchId, queueId]));
  return result.rows[0];
}

/** Reads one row (its status decides the next compare-and-set). */
export async function selectItemRow(db: Kysely<QueueDatabase>, itemId: number): Promise<ItemRow | undefined> {
  return (await db
    .selectFrom("session_queue")
    .select(ITEM_COLUMNS)
    .where("item_id", "=", itemId)
    .executeTakeFirst()) as ItemRow | undefined;
}

/** Status count changes: how many items entered (+) or left (−) each status. */
export type StatusDeltas = Partial<Record<QueueItemStatus, number>>;

function setClause(deltas: StatusDeltas) {
  const parts = Object.entries(deltas)
    .filter(([, d]) => d !== undefined && d !== 0)
    .map(([status, d]) => sql`${sql.ref(status)} = ${sql.ref(status)} + ${d as number}`);
  return parts.length === 0 ? undefined : sql.join(parts);
}

/** Applies count changes to a batch row. */
export async function adjustBatchCounts(
  db: Kysely<QueueDatabase>,
  batchId: string,
  deltas: StatusDeltas,
): Promise<void> {
  const set = setClause(deltas);
  if (set !== undefined) await sql`UPDATE session_queue_batch SET ${set} WHERE batch_id = ${batchId}`.execute(db);
}

/** Applies count changes to a queue's totals row. */
export async function adjustQueueTotals(
  db: Kysely<QueueDatabase>,
  queueId: string,
  deltas: StatusDeltas,
): Promise<void> {
  const set = setClause(deltas);
  if (set !== undefined) await sql`UPDATE session_queue_totals SET ${set} WHERE queue_id = ${queueId}`.execute(db);
}

/** Makes sure a queue has a totals row. */
export async function ensureQueueTotals(db: Kysely<QueueDatabase>, queueId: string): Promise<void> {
  await db
    .insertInto("session_queue_totals")
    .values({ queue_id: queueId })
    .onConflict((oc) => oc.column("queue_id").doNothing())
    .execute();
}
