import { sql, type Kysely } from "kysely";
import type { Database } from "./database-schema.js";
import type { DatabaseDialect, Migration } from "./migration.js";
import { MIGRATIONS } from "./migrations/index.js";
import { nowTimestamp } from "./database-values.js";
import { DatabaseNewerThanCodeError, MigrationFailedError } from "./database-errors.js";
import type { Logger } from "../logging/logger.js";

// Arbitrary but fixed: every Atelier process migrating the same PostgreSQL database takes this advisory lock.
const POSTGRES_MIGRATION_LOCK = 7_305_218_441;

/** What a migration run did. */
export interface MigrationReport {
  /** Ids applied by this run (empty when the schema was current). */
  applied: number[];
  /** The newest migration id in the database after the run. */
  current: number;
}

/** Options of `migrateToLatest`. */
export interface MigrateOptions {
  /** Names the database in errors and log lines (file path or URL without password). */
  location: string;
  logger?: Logger;
  /** Defaults to every known migration; tests pass a subset or extras. */
  migrations?: readonly Migration[];
}

async function begin(db: Kysely<Database>, dialect: DatabaseDialect): Promise<void> {
  // IMMEDIATE takes SQLite's write lock up front, so two processes cannot both read "not applied" and then race.
  await (dialect === "sqlite" ? sql`begin immediate` : sql`begin`).execute(db);
}

/**
 * Brings the schema up to date: each missing migration runs in its own transaction together with its record in
 * `migrations`, so a failure leaves the database at the previous version. Running it again does nothing. Refuses a
 * database that holds migrations this code does not know.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  dialect: DatabaseDialect,
  options: MigrateOptions,
): Promise<MigrationReport> {
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.id - b.id);
  const known = new Set(migrations.map((m) => m.id));
  const latestKnown = migrations.length === 0 ? 0 : migrations[migrations.length - 1].id;

  // One pinned connection: session-level locks and hand-written BEGIN/COMMIT need every statement on it.
  return db.connection().execute(async (conn) => {
    if (dialect === "postgres") await sql`select pg_advisory_lock(${POSTGRES_MIGRATION_LOCK})`.execute(conn);
    try {
      await conn.schema
        .createTable("migrations")
        .ifNotExists()
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("applied_at", "text", (c) => c.notNull())
        .execute();

      const recorded = await conn.selectFrom("migrations").select(["id", "name"]).orderBy("id").execute();
      const unknown = recorded.filter((row) => !known.has(row.id));
      if (unknown.length > 0) throw new DatabaseNewerThanCodeError(options.location, unknown, latestKnown);

      const recordedIds = new Set(recorded.map((row) => row.id));
      const applied: number[] = [];
      for (const migration of migrations) {
        if (recordedIds.has(migration.id)) continue;
        await begin(conn, dialect);
        try {
          // Checked inside the transaction: another process may have applied it since the read above.
          const done = await conn
            .selectFrom("migrations")
            .select("id")
            .where("id", "=", migration.id)
            .executeTakeFirst();
          if (done !== undefined) {
            await sql`commit`.execute(conn);
            continue;
          }
          await migration.up(conn as unknown as Kysely<unknown>, dialect);
          await conn
            .insertInto("migrations")
            .values({ id: migration.id, name: migration.name, applied_at: nowTimestamp() })
            .execute();
          await sql`commit`.execute(conn);
        } catch (cause) {
          await sql`rollback`.execute(conn).catch(() => undefined);
          throw new MigrationFailedError(options.location, migration, cause);
        }
        applied.push(migration.id);
        options.logger?.info(`Applied database migration ${migration.id} (${migration.name})`, {
          database: options.location,
        });
      }
      const current = Math.max(0, ...recorded.map((r) => r.id), ...applied);
      return { applied, current };
    } finally {
      if (dialect === "postgres") {
        await sql`select pg_advisory_unlock(${POSTGRES_MIGRATION_LOCK})`.execute(conn).catch(() => undefined);
      }
    }
  });
}
