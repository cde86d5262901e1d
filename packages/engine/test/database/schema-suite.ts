// The schema checks shared by the SQLite and PostgreSQL test files: same migrations, same SQL, two engines.
import { sql, type Kysely } from "kysely";
import { expect, it } from "vitest";
import {
  DatabaseNewerThanCodeError,
  MIGRATIONS,
  MigrationFailedError,
  migrateToLatest,
  nowTimestamp,
  openDatabase,
  type Database,
  type DatabaseConfig,
  type DatabaseDialect,
  type Migration,
  type OpenedDatabase,
} from "@atelier/engine";

export const EXPECTED_TABLES = [
  "board_images",
  "boards",
  "client_state",
  "image_counts",
  "images",
  "migrations",
  "models",
  "session_queue",
  "session_queue_batch",
  "session_queue_totals",
  "style_presets",
  "workflow_library",
];

export const EXPECTED_INDEXES = [
  "images_gallery_starred",
  "images_gallery_recent",
  "images_all_starred",
  "images_created_at",
  "images_session_id",
  "images_is_intermediate",
  "boards_created_at",
  "board_images_board_id",
  "session_queue_claim",
  "session_queue_destination",
  "models_base",
  "models_type",
  "models_name",
  "models_hash",
  "workflow_library_name",
  "workflow_library_opened_at",
];

/** Table names of the open database. */
export async function listTables(db: Kysely<Database>, dialect: DatabaseDialect): Promise<string[]> {
  const rows =
    dialect === "sqlite"
      ? await sql<{
          name: string;
        }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
      : await sql<{
          name: string;
        }>`select tablename as name from pg_tables where schemaname = current_schema()`.execute(db);
  return rows.rows.map((r) => r.name).sort();
}

/** Index names of the open database. */
export async function listIndexes(db: Kysely<Database>, dialect: DatabaseDialect): Promise<string[]> {
  const rows =
    dialect === "sqlite"
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(db)
      : await sql<{
          name: string;
        }>`select indexname as name from pg_indexes where schemaname = current_schema()`.execute(db);
  return rows.rows.map((r) => r.name);
}

async function insertImage(db: Kysely<Database>, name: string): Promise<void> {
  await db
    .insertInto("images")
    .values({ image_name: name, image_origin: "internal", image_category: "general", width: 64, height: 32 })
    .execute();
}

async function boardOf(db: Kysely<Database>, image: string): Promise<string | null | undefined> {
  const row = await db.selectFrom("images").select("board_id").where("image_name", "=", image).executeTakeFirst();
  return row?.board_id;
}

/**
 * Registers the schema tests. `open` opens the database under test (migrating it); `fresh` returns a config for
 * an empty database that has not been opened yet.
 */
export function defineSchemaTests(dialect: DatabaseDialect, fresh: () => Promise<DatabaseConfig>): void {
  const open = async (config: DatabaseConfig): Promise<OpenedDatabase> => {
    const opened = await openDatabase(config);
    expect(opened.dialect).toBe(dialect);
    return opened;
  };

  it("creates every table and index, and records the migrations", async () => {
    const config = await fresh();
    const opened = await open(config);
    try {
      expect(opened.migrations.applied).toEqual(MIGRATIONS.map((m) => m.id));
      expect(await listTables(opened.db, dialect)).toEqual(EXPECTED_TABLES);
      const indexes = await listIndexes(opened.db, dialect);
      for (const name of EXPECTED_INDEXES) expect(indexes).toContain(name);
      const recorded = await opened.db.selectFrom("migrations").selectAll().orderBy("id").execute();
      expect(recorded.map((r) => [r.id, r.name])).toEqual(MIGRATIONS.map((m) => [m.id, m.name]));
      expect(recorded[0].applied_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    } finally {
      await opened.close();
    }
  });

  it("migrates twice without change (second run and second open)", async () => {
    const config = await fresh();
    const first = await open(config);
    try {
      const again = await migrateToLatest(first.db, dialect, { location: first.location });
      expect(again.applied).toEqual([]);
      expect(again.current).toBe(MIGRATIONS[MIGRATIONS.length - 1].id);
    } finally {
      await first.close();
    }
    const second = await open(config);
    try {
      expect(second.migrations.applied).toEqual([]);
      const count = await second.db
        .selectFrom("migrations")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(MIGRATIONS.length);
    } finally {
      await second.close();
    }
  });

  it("refuses a database that is newer than the code", async () => {
    const config = await fresh();
    const opened = await open(config);
    await opened.db
      .insertInto("migrations")
      .values({ id: 999, name: "from-the-future", applied_at: nowTimestamp() })
      .execute();
    await opened.close();
    const error = await openDatabase(config).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseNewerThanCodeError);
    expect((error as DatabaseNewerThanCodeError).code).toBe("database_newer_than_code");
    expect((error as Error).message).toContain("999 (from-the-future)");
  });

  it("rolls a failing migration back whole and does not record it", async () => {
    const config = await fresh();
    const opened = await open(config);
    try {
      const broken: Migration = {
        id: 1000,
        name: "half-done",
        async up(db) {
          await db.schema.createTable("half_done").addColumn("id", "integer").execute();
          throw new Error("second statement failed");
        },
      };
      const error = await migrateToLatest(opened.db, dialect, {
        location: opened.location,
        migrations: [...MIGRATIONS, broken],
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MigrationFailedError);
      expect((error as Error).message).toContain("1000 (half-done)");
      expect((error as Error).message).toContain("second statement failed");
      expect(await listTables(opened.db, dialect)).not.toContain("half_done");
      const row = await opened.db.selectFrom("migrations").select("id").where("id", "=", 1000).executeTakeFirst();
      expect(row).toBeUndefined();
    } finally {
      await opened.close();
    }
  });

  it("cascades board and image deletes, and mirrors board membership into images.board_id", async () => {
    const opened = await open(await fresh());
    const { db } = opened;
    try {
      await insertImage(db, "a.png");
      await insertImage(db, "b.png");
      await db
        .insertInto("boards")
        .values([
          { board_id: "b1", board_name: "One", cover_image_name: "a.png" },
          { board_id: "b2", board_name: "Two" },
        ])
        .execute();
      await db
        .insertInto("board_images")
        .values([
          { board_id: "b1", image_name: "a.png" },
          { board_id: "b1", image_name: "b.png" },
        ])
        .execute();
      expect(await boardOf(db, "a.png")).toBe("b1");

      // Moving an image is an upsert on image_name (an image is on at most one board).
      await db
        .insertInto("board_images")
        .values({ board_id: "b2", image_name: "b.png" })
        .onConflict((oc) => oc.column("image_name").doUpdateSet({ board_id: "b2" }))
        .execute();
      expect(await boardOf(db, "b.png")).toBe("b2");
      const onB1 = await db.selectFrom("board_images").select("image_name").where("board_id", "=", "b1").execute();
      expect(onB1.map((r) => r.image_name)).toEqual(["a.png"]);

      // Removing from a board clears the mirror.
      await db.deleteFrom("board_images").where("image_name", "=", "b.png").execute();
      expect(await boardOf(db, "b.png")).toBeNull();

      // Deleting a board removes its memberships (not its images) and clears the mirror.
      await db.deleteFrom("boards").where("board_id", "=", "b1").execute();
      expect(await db.selectFrom("board_images").selectAll().execute()).toEqual([]);
      expect(await boardOf(db, "a.png")).toBeNull();

      // Deleting an image removes its membership and clears the cover of a board that used it.
      await db.insertInto("board_images").values({ board_id: "b2", image_name: "a.png" }).execute();
      await db.updateTable("boards").set({ cover_image_name: "a.png" }).where("board_id", "=", "b2").execute();
      await db.deleteFrom("images").where("image_name", "=", "a.png").execute();
      expect(await db.selectFrom("board_images").selectAll().execute()).toEqual([]);
      const b2 = await db
        .selectFrom("boards")
        .select("cover_image_name")
        .where("board_id", "=", "b2")
        .executeTakeFirstOrThrow();
      expect(b2.cover_image_name).toBeNull();
    } finally {
      await opened.close();
    }
  });

  it("enforces foreign keys and the one-board-per-image key", async () => {
    const opened = await open(await fresh());
    const { db } = opened;
    try {
      await insertImage(db, "c.png");
      await expect(
        db.insertInto("board_images").values({ board_id: "nope", image_name: "c.png" }).execute(),
      ).rejects.toThrow();
      await db.insertInto("boards").values({ board_id: "b", board_name: "B" }).execute();
      await db.insertInto("boards").values({ board_id: "b3", board_name: "B3" }).execute();
      await db.insertInto("board_images").values({ board_id: "b", image_name: "c.png" }).execute();
      await expect(
        db.insertInto("board_images").values({ board_id: "b3", image_name: "c.png" }).execute(),
      ).rejects.toThrow();
    } finally {
      await opened.close();
    }
  });

  it("numbers queue items, applies defaults and keeps session_id unique", async () => {
    const opened = await open(await fresh());
    const { db } = opened;
    try {
      const inserted = await db
        .insertInto("session_queue")
        // Rows of one multi-row insert need the same columns: SQLite has no DEFAULT in VALUES, Kysely writes NULL.
        .values([
          { batch_id: "batch", queue_id: "default", session_id: "s1", session: "{}" },
          { batch_id: "batch", queue_id: "default", session_id: "s2", session: "{}" },
        ])
        .returning("item_id")
        .execute();
      expect(inserted.map((r) => r.item_id)).toEqual([1, 2]);
      await db.updateTable("session_queue").set({ priority: 5 }).where("item_id", "=", 2).execute();
      const rows = await db.selectFrom("session_queue").selectAll().orderBy("item_id").execute();
      expect(rows[0]).toMatchObject({
        status: "pending",
        priority: 0,
        user_id: "system",
        status_sequence: 0,
        started_at: null,
      });
      expect(rows[0].created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Math.abs(Date.parse(rows[0].created_at) - Date.now())).toBeLessThan(60_000);
      await expect(
        db
          .insertInto("session_queue")
          .values({ batch_id: "x", queue_id: "default", session_id: "s1", session: "{}" })
          .execute(),
      ).rejects.toThrow();

      // The claim order: highest priority first, then oldest.
      const next = await db
        .selectFrom("session_queue")
        .select("item_id")
        .where("queue_id", "=", "default")
        .where("status", "=", "pending")
        .orderBy("priority", "desc")
        .orderBy("item_id", "asc")
        .executeTakeFirstOrThrow();
      expect(next.item_id).toBe(2);
    } finally {
      await opened.close();
    }
  });

  it("stores big model file sizes as numbers and keeps model paths unique", async () => {
    const opened = await open(await fresh());
    const { db } = opened;
    try {
      const model = {
        id: "k1",
        hash: "blake3:abc",
        base: "sd-1",
        type: "main",
        path: "sd-1/main/model.safetensors",
        format: "checkpoint",
        name: "model",
        source: "/tmp/model.safetensors",
        source_type: "path",
        file_size: 6_938_078_334,
        config: JSON.stringify({ key: "k1" }),
      };
      await db.insertInto("models").values(model).execute();
      const row = await db.selectFrom("models").selectAll().where("id", "=", "k1").executeTakeFirstOrThrow();
      expect(row.file_size).toBe(6_938_078_334);
      const count = await db
        .selectFrom("models")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      expect(count.n).toBe(1); // a number on both engines (PostgreSQL's int8 is parsed)
      await expect(
        db
          .insertInto("models")
          .values({ ...model, id: "k2" })
          .execute(),
      ).rejects.toThrow();
    } finally {
      await opened.close();
    }
  });

  it("orders app-written and default timestamps together", async () => {
    const opened = await open(await fresh());
    const { db } = opened;
    try {
      const before = nowTimestamp();
      await insertImage(db, "d.png");
      await db
        .insertInto("images")
        .values({
          image_name: "e.png",
          image_origin: "external",
          image_category: "user",
          width: 1,
          height: 1,
          created_at: "2000-01-01T00:00:00.000Z",
        })
        .execute();
      const rows = await db.selectFrom("images").select(["image_name", "created_at"]).orderBy("created_at").execute();
      expect(rows.map((r) => r.image_name)).toEqual(["e.png", "d.png"]);
      expect(rows[1].created_at >= before.slice(0, 19)).toBe(true);
    } finally {
      await opened.close();
    }
  });
}
