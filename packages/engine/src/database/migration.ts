import { sql, type Kysely, type RawBuilder } from "kysely";

/** The SQL engines Atelier runs on. */
export type DatabaseDialect = "sqlite" | "postgres";

/** One schema change, applied once, inside its own transaction. */
export interface Migration {
  /** Sequence number; migrations run in ascending order and are recorded in the `migrations` table. */
  id: number;
  name: string;
  /** Applies the change. `db` is bound to the migration's transaction; the schema type is unknown on purpose. */
  up(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void>;
}

/**
 * The default expression for timestamp columns: the current UTC time as ISO-8601 text with milliseconds, the same
 * text `nowTimestamp()` writes, so rows inserted with and without an explicit time sort together.
 */
export function timestampNowDefault(dialect: DatabaseDialect): RawBuilder<string> {
  return dialect === "sqlite"
    ? sql<string>`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`
    : sql<string>`(to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;
}
