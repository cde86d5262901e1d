import { isAbsolute, relative, resolve, sep } from "node:path";
import type { BaseModelType, ModelFormat, ModelType } from "@atelier/core";
import type { Insertable, Kysely, Selectable } from "kysely";
import type { Database, ModelsTable } from "../../database/database-schema.js";
import { nowTimestamp } from "../../database/database-values.js";
import {
  parseModelConfig,
  parseModelRecordChanges,
  type ModelConfig,
  type ModelRecordChanges,
} from "../configs/model-config.js";
import { DuplicateModelError, UnknownModelError } from "../model-errors.js";
import { checkModelKind } from "./model-kinds.js";

/** Sort orders of `list` (InvokeAI's ModelRecordOrderBy). */
export const MODEL_RECORD_ORDER_BY = [
  "default",
  "type",
  "base",
  "name",
  "format",
  "size",
  "created_at",
  "updated_at",
] as const;
/** A sort order of `list`. */
export type ModelRecordOrderBy = (typeof MODEL_RECORD_ORDER_BY)[number];

/** Filters of `search` / `list` (exact matches; lists mean "any of"). */
export interface ModelRecordFilters {
  name?: string | null;
  base?: BaseModelType | readonly BaseModelType[] | null;
  type?: ModelType | readonly ModelType[] | null;
  format?: ModelFormat | readonly ModelFormat[] | null;
}

/** Options of `list`. */
export interface ModelRecordListOptions extends ModelRecordFilters {
  orderBy?: ModelRecordOrderBy;
  direction?: "ASC" | "DESC";
}

const ORDER_COLUMNS: Record<ModelRecordOrderBy, readonly (keyof ModelsTable)[]> = {
  default: ["type", "base", "name", "format"],
  type: ["type", "name"],
  base: ["base", "name"],
  name: ["name", "base"],
  format: ["format", "name"],
  size: ["file_size", "name"],
  created_at: ["created_at", "id"],
  updated_at: ["updated_at", "id"],
};

function asList<T>(value: T | readonly T[] | null | undefined): readonly T[] | undefined {
  if (value === null || value === undefined) return undefined;
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return (
    e?.code === "23505" ||
    e?.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
    (typeof e?.message === "string" && /UNIQUE constraint failed/.test(e.message))
  );
}

/**
 * The model record store (InvokeAI's ModelRecordServiceSQL): the whole config JSON in `models.config`, with the
 * searchable fields copied into indexed columns in the same statement. Paths inside `models_dir` are stored
 * relative to it, so that the root folder can move.
 */
export class ModelRecords {
  readonly #db: Kysely<Database>;
  readonly #modelsDir: string;

  constructor(db: Kysely<Database>, options: { modelsDir: string }) {
    this.#db = db;
    this.#modelsDir = resolve(options.modelsDir);
  }

  /** The models folder that relative paths are resolved against. */
  get modelsDir(): string {
    return this.#modelsDir;
  }

  /** A path as records store it: relative (with `/`) when inside models_dir, else absolute. */
  toStoredPath(path: string): string {
    const absolute = isAbsolute(path) ? resolve(path) : resolve(this.#modelsDir, path);
    const rel = relative(this.#modelsDir, absolute);
    if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) return rel.split(sep).join("/");
    return absolute;
  }

  /** The absolute path of a stored (possibly relative) model path. */
  toAbsolutePath(path: string): string {
    return isAbsolute(path) ? path : resolve(this.#modelsDir, path);
  }

  /** Adds a record; throws DuplicateModelError when the key or path is taken. */
  async add(config: ModelConfig): Promise<ModelConfig> {
    const stored = parseModelConfig({ ...config, path: this.toStoredPath(config.path) }, `of model ${config.key}`);
    try {
      await this.#db.insertInto("models").values(this.#row(stored)).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw await this.#duplicateError(stored);
      throw error;
    }
    return this.get(stored.key);
  }

  /** The record with this key; throws UnknownModelError. */
  async get(key: string): Promise<ModelConfig> {
    const row = await this.#db.selectFrom("models").select(["id", "config"]).where("id", "=", key).executeTakeFirst();
    if (row === undefined) throw new UnknownModelError(`no model has key ${JSON.stringify(key)}`, { key });
    return this.#parse(row);
  }

  /** Whether a record has this key. */
  async exists(key: string): Promise<boolean> {
    const row = await this.#db.selectFrom("models").select("id").where("id", "=", key).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Applies changes (InvokeAI's update_model): the merged config is validated whole, so a change of type, format
   * or base may change the model's kind. A change of key is refused.
   */
  async update(key: string, changes: ModelRecordChanges | Record<string, unknown>): Promise<ModelConfig> {
    const valid = parseModelRecordChanges(changes, `changes of model ${key}`);
    const current = await this.get(key);
    if (valid.key !== undefined && valid.key !== key) {
      throw new DuplicateModelError(`The key of model ${key} cannot be changed to ${valid.key}`, {
        key,
        new_key: valid.key,
      });
    }
    const merged: Record<string, unknown> = { ...current, ...valid };
    for (const [field, value] of Object.entries(valid)) if (value === undefined) delete merged[field];
    if (valid.path !== undefined) merged.path = this.toStoredPath(valid.path);
    const next = parseModelConfig(merged, `of model ${key} after the update`);
    // Only a change of kind is checked, so that records of kinds this table does not know stay editable.
    if (valid.type !== undefined || valid.format !== undefined) checkModelKind(next.type, next.format, key);
    await this.#write(next);
    return this.get(key);
  }

  /** Replaces a record whole (re-identification). */
  async replace(key: string, config: ModelConfig): Promise<ModelConfig> {
    if (!(await this.exists(key))) throw new UnknownModelError(`no model has key ${JSON.stringify(key)}`, { key });
    const next = parseModelConfig({ ...config, key, path: this.toStoredPath(config.path) }, `of model ${key}`);
    await this.#write(next);
    return this.get(key);
  }

  /** Deletes a record (not its files); throws UnknownModelError. */
  async delete(key: string): Promise<void> {
    const result = await this.#db.deleteFrom("models").where("id", "=", key).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0)
      throw new UnknownModelError(`no model has key ${JSON.stringify(key)}`, { key });
  }

  /** Records matching every given filter (exact name match). */
  async search(filters: ModelRecordFilters = {}): Promise<ModelConfig[]> {
    return this.list(filters);
  }

  /** Records at this path (absolute, or relative to models_dir). */
  async searchByPath(path: string): Promise<ModelConfig[]> {
    const stored = this.toStoredPath(path);
    const rows = await this.#db.selectFrom("models").select(["id", "config"]).where("path", "=", stored).execute();
    return rows.map((row) => this.#parse(row));
  }

  /** Records with this hash. */
  async searchByHash(hash: string): Promise<ModelConfig[]> {
    const rows = await this.#db
      .selectFrom("models")
      .select(["id", "config"])
      .where("hash", "=", hash)
      .orderBy("created_at")
      .execute();
    return rows.map((row) => this.#parse(row));
  }

  /** The first record with this hash; throws UnknownModelError. */
  async getByHash(hash: string): Promise<ModelConfig> {
    const [first] = await this.searchByHash(hash);
    if (first === undefined) throw new UnknownModelError(`no model has hash ${JSON.stringify(hash)}`, { hash });
    return first;
  }

  /** Every record matching the filters, sorted. */
  async list(options: ModelRecordListOptions = {}): Promise<ModelConfig[]> {
    let query = this.#db.selectFrom("models").select(["id", "config"]);
    if (options.name !== undefined && options.name !== null) query = query.where("name", "=", options.name);
    const bases = asList(options.base);
    if (bases !== undefined && bases.length > 0) query = query.where("base", "in", [...bases]);
    const types = asList(options.type);
    if (types !== undefined && types.length > 0) query = query.where("type", "in", [...types]);
    const formats = asList(options.format);
    if (formats !== undefined && formats.length > 0) query = query.where("format", "in", [...formats]);
    const direction = options.direction === "DESC" ? "desc" : "asc";
    for (const column of ORDER_COLUMNS[options.orderBy ?? "default"]) query = query.orderBy(column, direction);
    const rows = await query.orderBy("id").execute();
    return rows.map((row) => this.#parse(row));
  }

  /** Every stored path (as stored), to find unregistered files when scanning. */
  async allPaths(): Promise<Set<string>> {
    const rows = await this.#db.selectFrom("models").select("path").execute();
    return new Set(rows.map((row) => row.path));
  }

  #row(config: ModelConfig): Insertable<ModelsTable> & { id: string } {
    return {
      id: config.key,
      hash: config.hash,
      base: config.base,
      type: config.type,
      path: config.path,
      format: config.format,
      name: config.name,
      description: config.description,
      source: config.source,
      source_type: config.source_type,
      source_api_response: config.source_api_response,
      cover_image: config.cover_image,
      file_size: config.file_size,
      config: JSON.stringify(config),
    };
  }

  async #write(config: ModelConfig): Promise<void> {
    const { id: _id, ...columns } = this.#row(config);
    try {
      await this.#db
        .updateTable("models")
        .set({ ...columns, updated_at: nowTimestamp() })
        .where("id", "=", config.key)
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw await this.#duplicateError(config);
      throw error;
    }
  }

  async #duplicateError(config: ModelConfig): Promise<DuplicateModelError> {
    const atPath = await this.#db.selectFrom("models").select("id").where("path", "=", config.path).executeTakeFirst();
    if (atPath !== undefined && atPath.id !== config.key) {
      return new DuplicateModelError(`A model is already installed at ${config.path} (key ${atPath.id})`, {
        path: config.path,
        existing_key: atPath.id,
      });
    }
    return new DuplicateModelError(`A model with key ${config.key} already exists`, { key: config.key });
  }

  #parse(row: Pick<Selectable<ModelsTable>, "id" | "config">): ModelConfig {
    let json: unknown;
    try {
      json = JSON.parse(row.config);
    } catch {
      json = null;
    }
    return parseModelConfig(json, `of stored model ${row.id}`);
  }
}
