import { sql, type Kysely } from "kysely";
import { timestampNowDefault, type DatabaseDialect, type Migration } from "../migration.js";

// The session queue stores a batch's graph and workflow once, in `session_queue_batch`, instead of a full session
// JSON in every row (InvokeAI writes the graph and workflow 10,000 times for a batch of 10,000): a pending row holds
// only its field values, and its session column stays '' until the processor writes a checkpoint.
//
// The status counts of each batch (on its batch row) and of each queue (`session_queue_totals`) make the fresh status
// that every status event carries two row reads instead of two COUNTs over the queue. Triggers keep them on every
// status change and delete, inside the changing statement, so a claim or a completion stays ONE statement; inserts
// are counted by the queue service (one +N for a whole enqueue rather than a trigger per row).

const STATUS_COLUMNS = ["pending", "in_progress", "waiting", "completed", "failed", "canceled"] as const;

async function createBatches(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  let table = db.schema
    .createTable("session_queue_batch")
    .addColumn("batch_id", "text", (c) => c.primaryKey())
    .addColumn("queue_id", "text", (c) => c.notNull())
    // The batch's graph before field values are applied; '' for rows written before this migration, whose
    // session column holds everything.
    .addColumn("graph", "text", (c) => c.notNull())
    .addColumn("workflow", "text")
    .addColumn("origin", "text")
    .addColumn("destination", "text")
    .addColumn("user_id", "text", (c) => c.notNull().defaultTo("system"))
    .addColumn("created_at", "text", (c) => c.notNull().defaultTo(timestampNowDefault(dialect)));
  for (const status of STATUS_COLUMNS) table = table.addColumn(status, "integer", (c) => c.notNull().defaultTo(0));
  await table.execute();
  await db.schema.createIndex("session_queue_batch_queue_id").on("session_queue_batch").column("queue_id").execute();
}

async function createTotals(db: Kysely<unknown>): Promise<void> {
  let table = db.schema.createTable("session_queue_totals").addColumn("queue_id", "text", (c) => c.primaryKey());
  for (const status of STATUS_COLUMNS) table = table.addColumn(status, "integer", (c) => c.notNull().defaultTo(0));
  await table.execute();
}

async function backfill(db: Kysely<unknown>): Promise<void> {
  const counts = STATUS_COLUMNS.map((s) => `SUM(CASE WHEN status = '${s}' THEN 1 ELSE 0 END)`).join(", ");
  const columns = STATUS_COLUMNS.join(", ");
  await sql
    .raw(
      `INSERT INTO session_queue_batch (batch_id, queue_id, graph, workflow, origin, destination, user_id, ${columns})
       SELECT batch_id, MIN(queue_id), '', NULL, MIN(origin), MIN(destination), MIN(user_id), ${counts}
       FROM session_queue GROUP BY batch_id`,
    )
    .execute(db);
  await sql
    .raw(
      `INSERT INTO session_queue_totals (queue_id, ${columns}) SELECT queue_id, ${counts} FROM session_queue GROUP BY queue_id`,
    )
    .execute(db);
}

/** `(NEW.status = 'x') - (OLD.status = 'x')` for every status column: +1 / −1 / 0. */
function statusDeltas(toInt: (cond: string) => string, change: "update" | "delete"): string {
  return STATUS_COLUMNS.map((s) =>
    change === "update"
      ? `${s} = ${s} + ${toInt(`NEW.status = '${s}'`)} - ${toInt(`OLD.status = '${s}'`)}`
      : `${s} = ${s} - ${toInt(`OLD.status = '${s}'`)}`,
  ).join(", ");
}

async function createCountTriggers(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  if (dialect === "sqlite") {
    const int = (cond: string) => `(${cond})`;
    await sql
      .raw(
        `CREATE TRIGGER session_queue_counts_update AFTER UPDATE OF status ON session_queue WHEN OLD.status <> NEW.status
         BEGIN
           UPDATE session_queue_batch SET ${statusDeltas(int, "update")} WHERE batch_id = NEW.batch_id;
           UPDATE session_queue_totals SET ${statusDeltas(int, "update")} WHERE queue_id = NEW.queue_id;
         END`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER session_queue_counts_delete AFTER DELETE ON session_queue
         BEGIN
           UPDATE session_queue_batch SET ${statusDeltas(int, "delete")} WHERE batch_id = OLD.batch_id;
           UPDATE session_queue_totals SET ${statusDeltas(int, "delete")} WHERE queue_id = OLD.queue_id;
         END`,
      )
      .execute(db);
    return;
  }
  const int = (cond: string) => `(${cond})::int`;
  await sql
    .raw(
      `CREATE FUNCTION session_queue_counts() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'UPDATE' THEN
           IF OLD.status IS DISTINCT FROM NEW.status THEN
             UPDATE session_queue_batch SET ${statusDeltas(int, "update")} WHERE batch_id = NEW.batch_id;
             UPDATE session_queue_totals SET ${statusDeltas(int, "update")} WHERE queue_id = NEW.queue_id;
           END IF;
           RETURN NEW;
         END IF;
         UPDATE session_queue_batch SET ${statusDeltas(int, "delete")} WHERE batch_id = OLD.batch_id;
         UPDATE session_queue_totals SET ${statusDeltas(int, "delete")} WHERE queue_id = OLD.queue_id;
         RETURN OLD;
       END $$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER session_queue_counts AFTER UPDATE OF status OR DELETE ON session_queue
       FOR EACH ROW EXECUTE FUNCTION session_queue_counts()`,
    )
    .execute(db);
}

/** Migration 003: batch rows (graph, workflow, status counts) and per-queue status totals for the session queue. */
export const sessionQueueBatches: Migration = {
  id: 3,
  name: "session-queue-batches",
  async up(db, dialect) {
    await createBatches(db, dialect);
    await createTotals(db);
    await backfill(db);
    await createCountTriggers(db, dialect);
    // Every index costs each of the 10,000 rows of a big enqueue (10–20 % each, measured), so the queue keeps only
    // those its queries use: claims and status-filtered lists (session_queue_claim) and destinations (counts, cancel,
    // delete). Nothing reads by created_at; batch counts live on the batch row, and canceling a batch finds its
    // pending rows through the claim index; listing in processing order without a status filter sorts, which is rare.
    await db.schema.dropIndex("session_queue_created_at").execute();
    await db.schema.dropIndex("session_queue_batch_id").execute();
    await db.schema.dropIndex("session_queue_destination").execute();
    await db.schema
      .createIndex("session_queue_destination")
      .on("session_queue")
      .columns(["queue_id", "destination", "status"])
      .execute();
  },
};
