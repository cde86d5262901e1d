import type { Kysely } from "kysely";
import { timestampNowDefault, type DatabaseDialect, type Migration } from "../migration.js";

// InvokeAI's `style_presets` table: prompt templates the `prompt_template` node and the UI apply. `preset_data` is
// the PresetData JSON as text; `type` is "user" or "default" (shipped presets, read-only through the API).
async function createStylePresets(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  const now = timestampNowDefault(dialect);
  await db.schema
    .createTable("style_presets")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("preset_data", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull().defaultTo("user"))
    .addColumn("user_id", "text", (c) => c.notNull().defaultTo("system"))
    .addColumn("is_public", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull().defaultTo(now))
    .addColumn("updated_at", "text", (c) => c.notNull().defaultTo(now))
    .execute();
  // Listings filter by type (export takes the user presets only) and sort by name.
  await db.schema.createIndex("style_presets_type").on("style_presets").column("type").execute();
  await db.schema.createIndex("style_presets_name").on("style_presets").column("name").execute();
}

/** Adds the `style_presets` table. */
export const stylePresets: Migration = {
  id: 4,
  name: "style-presets",
  up: (db, dialect) => createStylePresets(db, dialect),
};
