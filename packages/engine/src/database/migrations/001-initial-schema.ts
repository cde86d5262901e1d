import { sql, type Kysely } from "kysely";
import { timestampNowDefault, type DatabaseDialect, type Migration } from "../migration.js";

async function createImages(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  const now = timestampNowDefault(dialect);
  await db.schema
    .createTable("images")
    .addColumn("image_name", "text", (c) => c.primaryKey())
    .addColumn("image_origin", "text", (c) => c.notNull())
    .addColumn("image_category", "text", (c) => c.notNull())
    .addColumn("width", "integer", (c) => c.notNull())
    .addColumn("height", "integer", (c) => c.notNull())
    .addColumn("session_id", "text")
    .addColumn("node_id", "text")
    .addColumn("metadata", "text")
    .addColumn("is_intermediate", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("updated_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("deleted_at", "text")
    .addColumn("starred", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("has_workflow", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("user_id", "text", (c) => c.notNull().defaultTo("system"))
    .addColumn("image_subfolder", "text", (c) => c.notNull().defaultTo(""))
    // Mirror of board_images.board_id, kept by the triggers below; no foreign key, the triggers own it.
    .addColumn("board_id", "text")
    .execute();

  // Gallery listings (board or "no board", one category, intermediates hidden) page by keyset over these, starred
  // first or not. image_name is last so that ties on created_at still have a total order and the scan is index-only.
  await db.schema
    .createIndex("images_gallery_starred")
    .on("images")
    .columns(["board_id", "image_category", "is_intermediate", "starred", "created_at", "image_name"])
    .execute();
  await db.schema
    .createIndex("images_gallery_recent")
    .on("images")
    .columns(["board_id", "image_category", "is_intermediate", "created_at", "image_name"])
    .execute();
  // Listings across all boards.
  await db.schema
    .createIndex("images_all_starred")
    .on("images")
    .columns(["image_category", "is_intermediate", "starred", "created_at", "image_name"])
    .execute();
  await db.schema.createIndex("images_created_at").on("images").column("created_at").execute();
  await db.schema.createIndex("images_session_id").on("images").column("session_id").execute();
  await db.schema.createIndex("images_is_intermediate").on("images").column("is_intermediate").execute();
}

async function createBoards(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  const now = timestampNowDefault(dialect);
  await db.schema
    .createTable("boards")
    .addColumn("board_id", "text", (c) => c.primaryKey())
    .addColumn("board_name", "text", (c) => c.notNull())
    .addColumn("cover_image_name", "text", (c) => c.references("images.image_name").onDelete("set null"))
    .addColumn("created_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("updated_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("deleted_at", "text")
    .addColumn("archived", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("user_id", "text", (c) => c.notNull().defaultTo("system"))
    .addColumn("is_public", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("board_visibility", "text", (c) => c.notNull().defaultTo("private"))
    .execute();
  await db.schema.createIndex("boards_created_at").on("boards").column("created_at").execute();

  await db.schema
    .createTable("board_images")
    .addColumn("board_id", "text", (c) => c.notNull().references("boards.board_id").onDelete("cascade"))
    .addColumn("image_name", "text", (c) => c.primaryKey().references("images.image_name").onDelete("cascade"))
    .addColumn("created_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("updated_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("deleted_at", "text")
    .execute();
  await db.schema.createIndex("board_images_board_id").on("board_images").column("board_id").execute();
}

/** Keeps images.board_id equal to the image's board_images row (null when it has none), whoever changes it. */
async function createBoardMirrorTriggers(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  if (dialect === "sqlite") {
    await sql`CREATE TRIGGER board_images_mirror_insert AFTER INSERT ON board_images BEGIN
        UPDATE images SET board_id = NEW.board_id WHERE image_name = NEW.image_name;
      END`.execute(db);
    await sql`CREATE TRIGGER board_images_mirror_update AFTER UPDATE OF board_id, image_name ON board_images BEGIN
        UPDATE images SET board_id = NULL WHERE image_name = OLD.image_name;
        UPDATE images SET board_id = NEW.board_id WHERE image_name = NEW.image_name;
      END`.execute(db);
    await sql`CREATE TRIGGER board_images_mirror_delete AFTER DELETE ON board_images BEGIN
        UPDATE images SET board_id = NULL WHERE image_name = OLD.image_name;
      END`.execute(db);
    return;
  }
  await sql`CREATE OR REPLACE FUNCTION atelier_board_images_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' THEN
          UPDATE images SET board_id = NULL WHERE image_name = OLD.image_name;
        END IF;
        IF TG_OP <> 'DELETE' THEN
          UPDATE images SET board_id = NEW.board_id WHERE image_name = NEW.image_name;
        END IF;
        RETURN NULL;
      END $$`.execute(db);
  await sql`CREATE TRIGGER board_images_mirror AFTER INSERT OR UPDATE OR DELETE ON board_images
      FOR EACH ROW EXECUTE FUNCTION atelier_board_images_mirror()`.execute(db);
}

async function createSessionQueue(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  const now = timestampNowDefault(dialect);
  await db.schema
    .createTable("session_queue")
    .addColumn("item_id", "integer", (c) =>
      dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity(),
    )
    .addColumn("batch_id", "text", (c) => c.notNull())
    .addColumn("queue_id", "text", (c) => c.notNull())
    .addColumn("session_id", "text", (c) => c.notNull().unique())
    .addColumn("field_values", "text")
    .addColumn("session", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
    .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("error_type", "text")
    .addColumn("error_message", "text")
    .addColumn("error_traceback", "text")
    .addColumn("created_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("updated_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("started_at", "text")
    .addColumn("completed_at", "text")
    .addColumn("workflow", "text")
    .addColumn("origin", "text")
    .addColumn("destination", "text")
    .addColumn("retried_from_item_id", "integer")
    .addColumn("user_id", "text", (c) => c.notNull().defaultTo("system"))
    .addColumn("status_sequence", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  // claimNext: WHERE queue_id = ? AND status = 'pending' ORDER BY priority DESC, item_id ASC LIMIT 1.
  await db.schema
    .createIndex("session_queue_claim")
    .on("session_queue")
    .columns(["queue_id", "status", "priority desc", "item_id"])
    .execute();
  await db.schema.createIndex("session_queue_batch_id").on("session_queue").column("batch_id").execute();
  await db.schema.createIndex("session_queue_destination").on("session_queue").column("destination").execute();
  await db.schema.createIndex("session_queue_created_at").on("session_queue").column("created_at").execute();
}

async function createModels(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  const now = timestampNowDefault(dialect);
  await db.schema
    .createTable("models")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("base", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("path", "text", (c) => c.notNull().unique())
    .addColumn("format", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("source_type", "text", (c) => c.notNull())
    .addColumn("source_api_response", "text")
    .addColumn("cover_image", "text")
    .addColumn("file_size", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("config", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("updated_at", "text", (c) => c.notNull().defaultTo(now))
    .execute();
  for (const column of ["base", "type", "name", "hash"]) {
    await db.schema.createIndex(`models_${column}`).on("models").column(column).execute();
  }
}

async function createWorkflowLibrary(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  const now = timestampNowDefault(dialect);
  await db.schema
    .createTable("workflow_library")
    .addColumn("workflow_id", "text", (c) => c.primaryKey())
    .addColumn("workflow", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("category", "text", (c) => c.notNull().defaultTo("user"))
    .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("tags", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("created_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("updated_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("opened_at", "text")
    .addColumn("user_id", "text", (c) => c.notNull().defaultTo("system"))
    .addColumn("is_public", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  for (const column of ["name", "category", "created_at", "updated_at", "opened_at"]) {
    await db.schema.createIndex(`workflow_library_${column}`).on("workflow_library").column(column).execute();
  }
}

async function createClientState(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  await db.schema
    .createTable("client_state")
    .addColumn("user_id", "text", (c) => c.notNull().defaultTo("system"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull().defaultTo(timestampNowDefault(dialect)))
    .addPrimaryKeyConstraint("client_state_pk", ["user_id", "key"])
    .execute();
}

/** Images, boards, board membership, the session queue, models, the workflow library and the UI's client state. */
export const initialSchema: Migration = {
  id: 1,
  name: "initial-schema",
  async up(db, dialect) {
    await createImages(db, dialect);
    await createBoards(db, dialect);
    await createBoardMirrorTriggers(db, dialect);
    await createSessionQueue(db, dialect);
    await createModels(db, dialect);
    await createWorkflowLibrary(db, dialect);
    await createClientState(db, dialect);
  },
};
