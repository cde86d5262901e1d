import type { ColumnType, Generated } from "kysely";

// Column representations shared by SQLite and PostgreSQL (see README.md beside this file):
// timestamps are ISO-8601 UTC text with milliseconds, booleans are integers 0/1, JSON is text.

/** ISO-8601 UTC text with milliseconds, e.g. "2025-01-31T12:00:00.000Z" (sorts as text in both dialects). */
export type Timestamp = string;
/** A boolean stored as an integer: 0 or 1. */
export type DbBoolean = 0 | 1;
/** JSON stored as text; the service that owns the column parses and validates it. */
export type JsonText = string;

/** A column with a database default: optional on insert, present on select. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;
/** A column maintained by triggers: readable, never written by the app. */
type TriggerMaintained<T> = ColumnType<T, never, never>;

/** `images` (InvokeAI §3.1 columns, plus `board_id`). */
export interface ImagesTable {
  image_name: string;
  /** ResourceOrigin: "internal" | "external". */
  image_origin: string;
  /** ImageCategory: "general" | "mask" | "control" | "user" | "other". */
  image_category: string;
  width: number;
  height: number;
  session_id: string | null;
  node_id: string | null;
  metadata: JsonText | null;
  is_intermediate: Defaulted<DbBoolean>;
  created_at: Defaulted<Timestamp>;
  updated_at: Defaulted<Timestamp>;
  deleted_at: Timestamp | null;
  starred: Defaulted<DbBoolean>;
  has_workflow: Defaulted<DbBoolean>;
  user_id: Defaulted<string>;
  image_subfolder: Defaulted<string>;
  /**
   * Copy of `board_images.board_id` (null = no board), kept by triggers so that gallery listings filter by board
   * and sort through one index. Write board membership to `board_images` only.
   */
  board_id: TriggerMaintained<string | null>;
}

/** `boards` (InvokeAI §3.2). */
export interface BoardsTable {
  board_id: string;
  board_name: string;
  cover_image_name: string | null;
  created_at: Defaulted<Timestamp>;
  updated_at: Defaulted<Timestamp>;
  deleted_at: Timestamp | null;
  archived: Defaulted<DbBoolean>;
  user_id: Defaulted<string>;
  is_public: Defaulted<DbBoolean>;
  /** "private" | "shared" | "public". */
  board_visibility: Defaulted<string>;
}

/** `board_images`: an image is on at most one board (image_name is the primary key). */
export interface BoardImagesTable {
  board_id: string;
  image_name: string;
  created_at: Defaulted<Timestamp>;
  updated_at: Defaulted<Timestamp>;
  deleted_at: Timestamp | null;
}

/** `session_queue` (InvokeAI §5.1). */
export interface SessionQueueTable {
  item_id: Generated<number>;
  batch_id: string;
  queue_id: string;
  session_id: string;
  /** JSON list of NodeFieldValue applied to this session. */
  field_values: JsonText | null;
  /** JSON GraphExecutionState, rewritten as the session runs. */
  session: JsonText;
  /** "pending" | "in_progress" | "waiting" | "completed" | "failed" | "canceled". */
  status: Defaulted<string>;
  priority: Defaulted<number>;
  error_type: string | null;
  error_message: string | null;
  error_traceback: string | null;
  created_at: Defaulted<Timestamp>;
  updated_at: Defaulted<Timestamp>;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
  /** JSON WorkflowWithoutID. */
  workflow: JsonText | null;
  origin: string | null;
  destination: string | null;
  retried_from_item_id: number | null;
  user_id: Defaulted<string>;
  /** Bumped on every status transition. */
  status_sequence: Defaulted<number>;
}

/** `models` (InvokeAI §6.2): the config JSON plus columns projected from it by the records service. */
export interface ModelsTable {
  /** The model key. */
  id: string;
  hash: string;
  base: string;
  type: string;
  /** Relative to models_dir when inside it. Unique. */
  path: string;
  format: string;
  name: string;
  description: string | null;
  source: string;
  source_type: string;
  source_api_response: JsonText | null;
  cover_image: string | null;
  file_size: Defaulted<number>;
  /** The whole model config JSON; the columns above are copies of its fields, written together with it. */
  config: JsonText;
  created_at: Defaulted<Timestamp>;
  updated_at: Defaulted<Timestamp>;
}

/** `workflow_library` (InvokeAI §3.3): the workflow JSON plus columns projected from it. */
export interface WorkflowLibraryTable {
  workflow_id: string;
  workflow: JsonText;
  name: Defaulted<string>;
  /** "user" | "default" | "project". */
  category: Defaulted<string>;
  description: Defaulted<string>;
  /** Comma-separated, as in the workflow JSON. */
  tags: Defaulted<string>;
  created_at: Defaulted<Timestamp>;
  updated_at: Defaulted<Timestamp>;
  opened_at: Timestamp | null;
  user_id: Defaulted<string>;
  is_public: Defaulted<DbBoolean>;
}

/** `client_state`: the web UI's key/value store. */
export interface ClientStateTable {
  user_id: Defaulted<string>;
  key: string;
  value: JsonText;
  updated_at: Defaulted<Timestamp>;
}

/** `style_presets` (InvokeAI's style preset records): a name and the PresetData JSON. */
export interface StylePresetsTable {
  id: string;
  name: string;
  preset_data: JsonText;
  /** "user" | "default". */
  type: Defaulted<string>;
  user_id: Defaulted<string>;
  is_public: Defaulted<DbBoolean>;
  created_at: Defaulted<Timestamp>;
  updated_at: Defaulted<Timestamp>;
}

/** `migrations`: one row per applied schema migration. */
export interface MigrationsTable {
  id: number;
  name: string;
  applied_at: Timestamp;
}

/** The typed view of the whole schema for Kysely. */
export interface Database {
  images: ImagesTable;
  boards: BoardsTable;
  board_images: BoardImagesTable;
  session_queue: SessionQueueTable;
  models: ModelsTable;
  workflow_library: WorkflowLibraryTable;
  client_state: ClientStateTable;
  style_presets: StylePresetsTable;
  migrations: MigrationsTable;
}
