import { sql, type Kysely } from "kysely";
import type { DatabaseDialect, Migration } from "../migration.js";

// Gallery totals, board image/asset counts and starred counts are read on every page of the gallery. A COUNT over
// an index range is linear in the range (15 ms for 100,000 rows here), so the counts per
// (board, category, intermediate, starred) group are kept in `image_counts` by triggers on `images`, whoever
// writes. `board_key` is the board id, or '' for "no board" (a primary key column cannot hold NULL on PostgreSQL).

async function createCountsTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("image_counts")
    .addColumn("board_key", "text", (c) => c.notNull())
    .addColumn("image_category", "text", (c) => c.notNull())
    .addColumn("is_intermediate", "integer", (c) => c.notNull())
    .addColumn("starred", "integer", (c) => c.notNull())
    .addColumn("image_count", "bigint", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("image_counts_pk", ["board_key", "image_category", "is_intermediate", "starred"])
    .execute();
  await sql`INSERT INTO image_counts (board_key, image_category, is_intermediate, starred, image_count)
      SELECT COALESCE(board_id, ''), image_category, is_intermediate, starred, COUNT(*)
      FROM images GROUP BY COALESCE(board_id, ''), image_category, is_intermediate, starred`.execute(db);
}

async function createSqliteTriggers(db: Kysely<unknown>): Promise<void> {
  const increment = (row: "NEW") =>
    sql.raw(`
      INSERT INTO image_counts (board_key, image_category, is_intermediate, starred, image_count)
      VALUES (COALESCE(${row}.board_id, ''), ${row}.image_category, ${row}.is_intermediate, ${row}.starred, 1)
      ON CONFLICT (board_key, image_category, is_intermediate, starred)
      DO UPDATE SET image_count = image_counts.image_count + 1;`);
  const decrement = (row: "OLD") =>
    sql.raw(`
      UPDATE image_counts SET image_count = image_count - 1
      WHERE board_key = COALESCE(${row}.board_id, '') AND image_category = ${row}.image_category
        AND is_intermediate = ${row}.is_intermediate AND starred = ${row}.starred;`);
  await sql`CREATE TRIGGER image_counts_insert AFTER INSERT ON images BEGIN ${increment("NEW")} END`.execute(db);
  await sql`CREATE TRIGGER image_counts_delete AFTER DELETE ON images BEGIN ${decrement("OLD")} END`.execute(db);
  await sql`CREATE TRIGGER image_counts_update AFTER UPDATE OF board_id, image_category, is_intermediate, starred ON images
      WHEN COALESCE(OLD.board_id, '') <> COALESCE(NEW.board_id, '') OR OLD.image_category <> NEW.image_category
        OR OLD.is_intermediate <> NEW.is_intermediate OR OLD.starred <> NEW.starred
      BEGIN ${decrement("OLD")} ${increment("NEW")} END`.execute(db);
}

async function createPostgresTriggers(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE OR REPLACE FUNCTION atelier_image_counts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND COALESCE(OLD.board_id, '') = COALESCE(NEW.board_id, '')
            AND OLD.image_category = NEW.image_category AND OLD.is_intermediate = NEW.is_intermediate
            AND OLD.starred = NEW.starred THEN
          RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' THEN
          UPDATE image_counts SET image_count = image_count - 1
          WHERE board_key = COALESCE(OLD.board_id, '') AND image_category = OLD.image_category
            AND is_intermediate = OLD.is_intermediate AND starred = OLD.starred;
        END IF;
        IF TG_OP <> 'DELETE' THEN
          INSERT INTO image_counts (board_key, image_category, is_intermediate, starred, image_count)
          VALUES (COALESCE(NEW.board_id, ''), NEW.image_category, NEW.is_intermediate, NEW.starred, 1)
          ON CONFLICT (board_key, image_category, is_intermediate, starred)
          DO UPDATE SET image_count = image_counts.image_count + 1;
        END IF;
        RETURN NULL;
      END $$`.execute(db);
  await sql`CREATE TRIGGER image_counts_maintain
      AFTER INSERT OR DELETE OR UPDATE OF board_id, image_category, is_intermediate, starred ON images
      FOR EACH ROW EXECUTE FUNCTION atelier_image_counts()`.execute(db);
}

/**
 * Per-group image counts kept by triggers, and the index for listings across all boards in plain date order
 * (`images_all_starred` serves the starred-first order only).
 */
export const imageCounts: Migration = {
  id: 2,
  name: "image-counts",
  async up(db: Kysely<unknown>, dialect: DatabaseDialect) {
    await createCountsTable(db);
    if (dialect === "sqlite") await createSqliteTriggers(db);
    else await createPostgresTriggers(db);
    await db.schema
      .createIndex("images_all_recent")
      .on("images")
      .columns(["image_category", "is_intermediate", "created_at", "image_name"])
      .execute();
  },
};
