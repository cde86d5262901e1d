import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { Kysely, PostgresDialect, SqliteDialect, sql, type LogEvent } from "kysely";
import type { Database } from "./database-schema.js";
import type { DatabaseDialect } from "./migration.js";
import { migrateToLatest, type MigrationReport } from "./migrator.js";
import { DatabaseUnavailableError } from "./database-errors.js";
import type { Logger } from "../logging/logger.js";

/** The config fields the database reads (a full AtelierConfig satisfies it). */
export interface DatabaseConfig {
  db_backend: DatabaseDialect;
  db_url?: string;
  use_memory_db?: boolean;
  log_sql?: boolean;
  paths: { readonly db: string };
}

/** Options of `openDatabase`. */
export interface OpenDatabaseOptions {
  /** Receives migration notes and, with `log_sql`, every statement. */
  logger?: Logger;
  /** Run migrations before returning (default true). */
  migrate?: boolean;
  /** Most PostgreSQL connections in the pool (default 10). */
  poolSize?: number;
}

/** An open database. */
export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: DatabaseDialect;
  /** The file path, ":memory:", or the URL without its password. */
  location: string;
  /** What the start-up migration did (empty when `migrate` was false). */
  migrations: MigrationReport;
  /** Closes the connection or pool. */
  close(): Promise<void>;
}

const PG_INT8_OID = 20;

/** The URL with its password masked, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable database URL)";
  }
}

function sqlLogger(logger: Logger): (event: LogEvent) => void {
  return (event) => {
    const fields = { sql: event.query.sql, duration_ms: Math.round(event.queryDurationMillis * 1000) / 1000 };
    if (event.level === "error") logger.error("SQL statement failed", { ...fields, err: event.error });
    else logger.debug("SQL", fields);
  };
}

function openSqlite(config: DatabaseConfig): { dialect: SqliteDialect; location: string } {
  const location = config.use_memory_db ? ":memory:" : config.paths.db;
  try {
    if (!config.use_memory_db) mkdirSync(dirname(location), { recursive: true });
    const connection = new BetterSqlite3(location);
    // WAL lets readers run while the processor writes; NORMAL is safe with WAL (a crash can lose the last commit,
    // never corrupt); busy_timeout makes a second process wait instead of failing at once.
    connection.pragma("journal_mode = WAL");
    connection.pragma("foreign_keys = ON");
    connection.pragma("busy_timeout = 5000");
    connection.pragma("synchronous = NORMAL");
    return { dialect: new SqliteDialect({ database: connection }), location };
  } catch (cause) {
    throw new DatabaseUnavailableError(location, cause);
  }
}

function openPostgres(
  config: DatabaseConfig,
  poolSize: number,
  logger: Logger | undefined,
): { dialect: PostgresDialect; location: string } {
  if (config.db_url === undefined) {
    throw new DatabaseUnavailableError(
      "postgres",
      new Error("db_url is not set (required when db_backend is postgres)"),
    );
  }
  const pool = new pg.Pool({
    connectionString: config.db_url,
    max: poolSize,
    // int8 (COUNT(*), bigint columns) as a JS number, like SQLite returns it, so queries read the same on both.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === PG_INT8_OID && format !== "binary"
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server closes (restart, failover, pg_terminate_backend) is reported here; without a
  // listener, node would treat it as an uncaught exception and stop the process. The pool drops that client and
  // opens a new one for the next query, so a note is all it needs.
  pool.on("error", (error) => {
    logger?.warning("PostgreSQL closed an idle connection; the next query opens a new one", { err: error });
  });
  return { dialect: new PostgresDialect({ pool }), location: redactDatabaseUrl(config.db_url) };
}

/**
 * Opens the configured database (SQLite file, in-memory SQLite, or PostgreSQL), checks that it answers and
 * migrates it to the current schema. Throws DatabaseUnavailableError, DatabaseNewerThanCodeError or
 * MigrationFailedError.
 */
export async function openDatabase(config: DatabaseConfig, options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  const dialectName: DatabaseDialect = config.db_backend;
  const opened =
    dialectName === "sqlite" ? openSqlite(config) : openPostgres(config, options.poolSize ?? 10, options.logger);
  const db = new Kysely<Database>({
    dialect: opened.dialect,
    log: config.log_sql && options.logger !== undefined ? sqlLogger(options.logger) : undefined,
  });
  const close = () => db.destroy();
  try {
    await sql`select 1`.execute(db);
  } catch (cause) {
    await close().catch(() => undefined);
    throw new DatabaseUnavailableError(opened.location, cause);
  }
  let migrations: MigrationReport = { applied: [], current: 0 };
  if (options.migrate ?? true) {
    try {
      migrations = await migrateToLatest(db, dialectName, { location: opened.location, logger: options.logger });
    } catch (error) {
      await close().catch(() => undefined);
      throw error;
    }
  }
  return { db, dialect: dialectName, location: opened.location, migrations, close };
}
