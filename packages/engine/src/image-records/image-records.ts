import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
} from "kysely";
import { nowTimestamp, toDbBoolean, type Database, type DatabaseDialect, type DbBoolean } from "../database/index.js";
import { decodeImageCursor, encodeImageCursor } from "./image-list-cursor.js";
import type {
  ImageListFilters,
  ImageListOptions,
  ImageNamesResult,
  ImagePage,
  ImageSortOptions,
  OrderDirection,
} from "./image-list-options.js";
import { InvalidImageCursorError, ImageNotFoundError, InvalidImageRecordError } from "./image-record-errors.js";
import {
  assertImageCategory,
  assertResourceOrigin,
  imageRecordFromRow,
  type ImageRecord,
  type ImageRecordChanges,
  type NewImageRecord,
} from "./image-record.js";

/** `image_counts` (migration 002): images per (board, category, intermediate, starred), kept by triggers. */
export interface ImageCountsTable {
  /** Board id, or "" for images on no board. */
  board_key: string;
  image_category: string;
  is_intermediate: number;
  starred: number;
  image_count: number;
}

/** Something queries run on: the database or a transaction of it. */
export type DatabaseExecutor = Kysely<Database>;

/** Options of ImageRecords. */
export interface ImageRecordsOptions {
  /** The engine behind `db`; reads that take several statements use a snapshot on PostgreSQL. Default sqlite. */
  readonly dialect?: DatabaseDialect;
}

type ImagesExpression = ExpressionBuilder<Database, "images">;
type Starred = DbBoolean | undefined;

// SQLite allows 32,766 bound values per statement; chunks keep IN lists far below that and below PostgreSQL's 65,535.
const IN_CHUNK = 500;
const DEFAULT_LIMIT = 10;

function chunks<T>(values: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

function checkCount(field: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw new InvalidImageRecordError(field, value, "must be a whole number ≥ 0");
  return n;
}

function checkDimension(field: "width" | "height", value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidImageRecordError(field, value, "must be a whole number ≥ 1");
}

function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function reversed(dir: OrderDirection): OrderDirection {
  return dir === "ASC" ? "DESC" : "ASC";
}

function lowerDir(dir: OrderDirection): "asc" | "desc" {
  return dir === "ASC" ? "asc" : "desc";
}

/** The parts of the filters the counts table can answer (no origin or text search). */
function countable(filters: ImageListFilters): boolean {
  return (filters.image_origin ?? null) === null && (filters.search_term ?? "") === "";
}

/**
 * The `images` table: save, read, change and delete records, and list them with filters in gallery order (starred
 * first, then by creation time, then by name so that the order is total). Listings page by offset or by keyset
 * cursor; both read through the gallery indexes of migration 001, and totals come from `image_counts`.
 */
export class ImageRecords {
  readonly #db: Kysely<Database>;
  readonly #dialect: DatabaseDialect;

  constructor(db: Kysely<Database>, options: ImageRecordsOptions = {}) {
    this.#db = db;
    this.#dialect = options.dialect ?? "sqlite";
  }

  /** Inserts a record (times default to now) and returns it as stored; the board is set separately. */
  async save(record: NewImageRecord, executor: DatabaseExecutor = this.#db): Promise<ImageRecord> {
    assertImageCategory(record.image_category);
    assertResourceOrigin(record.image_origin);
    checkDimension("width", record.width);
    checkDimension("height", record.height);
    const now = record.created_at ?? nowTimestamp();
    const row = {
      image_name: record.image_name,
      image_origin: record.image_origin,
      image_category: record.image_category,
      width: record.width,
      height: record.height,
      session_id: record.session_id ?? null,
      node_id: record.node_id ?? null,
      metadata: record.metadata ?? null,
      is_intermediate: toDbBoolean(record.is_intermediate ?? false),
      created_at: now,
      updated_at: now,
      deleted_at: null,
      starred: toDbBoolean(record.starred ?? false),
      has_workflow: toDbBoolean(record.has_workflow ?? false),
      image_subfolder: record.image_subfolder ?? "",
    };
    await executor.insertInto("images").values(row).execute();
    return imageRecordFromRow({ ...row, user_id: "system", board_id: null });
  }

  /** The record; ImageNotFoundError when there is none. */
  async get(imageName: string, executor: DatabaseExecutor = this.#db): Promise<ImageRecord> {
    const record = await this.find(imageName, executor);
    if (record === undefined) throw new ImageNotFoundError(imageName);
    return record;
  }

  /** The record, or undefined. */
  async find(imageName: string, executor: DatabaseExecutor = this.#db): Promise<ImageRecord | undefined> {
    const row = await executor.selectFrom("images").selectAll().where("image_name", "=", imageName).executeTakeFirst();
    return row === undefined ? undefined : imageRecordFromRow(row);
  }

  /** The records of the names that exist, in the order asked (duplicates once). */
  async getMany(imageNames: readonly string[], executor: DatabaseExecutor = this.#db): Promise<ImageRecord[]> {
    const byName = new Map<string, ImageRecord>();
    for (const part of chunks([...new Set(imageNames)])) {
      const rows = await executor.selectFrom("images").selectAll().where("image_name", "in", part).execute();
      for (const row of rows) byName.set(row.image_name, imageRecordFromRow(row));
    }
    return [...new Set(imageNames)].flatMap((name) => byName.get(name) ?? []);
  }

  /** Changes category, session id, intermediate flag and/or star; returns the updated record. */
  async update(
    imageName: string,
    changes: ImageRecordChanges,
    executor: DatabaseExecutor = this.#db,
  ): Promise<ImageRecord> {
    const set: {
      image_category?: string;
      session_id?: string | null;
      is_intermediate?: DbBoolean;
      starred?: DbBoolean;
    } = {};
    if (changes.image_category !== undefined) {
      assertImageCategory(changes.image_category);
      set.image_category = changes.image_category;
    }
    if (changes.session_id !== undefined) set.session_id = changes.session_id;
    if (changes.is_intermediate !== undefined) set.is_intermediate = toDbBoolean(changes.is_intermediate);
    if (changes.starred !== undefined) set.starred = toDbBoolean(changes.starred);
    if (Object.keys(set).length > 0) {
      const result = await executor
        .updateTable("images")
        .set({ ...set, updated_at: nowTimestamp() })
        .where("image_name", "=", imageName)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new ImageNotFoundError(imageName);
    }
    return this.get(imageName, executor);
  }

  /** Sets `starred` on each named image that exists; returns the records that changed. */
  async setStarred(
    imageNames: readonly string[],
    starred: boolean,
    executor: DatabaseExecutor = this.#db,
  ): Promise<ImageRecord[]> {
    const changed: ImageRecord[] = [];
    const now = nowTimestamp();
    for (const part of chunks([...new Set(imageNames)])) {
      const rows = await executor
        .updateTable("images")
        .set({ starred: toDbBoolean(starred), updated_at: now })
        .where("image_name", "in", part)
        .where("starred", "=", toDbBoolean(!starred))
        .returningAll()
        .execute();
      changed.push(...rows.map(imageRecordFromRow));
    }
    return changed;
  }

  /** Deletes the record (its board membership goes with it); returns what was deleted. */
  async delete(imageName: string, executor: DatabaseExecutor = this.#db): Promise<ImageRecord> {
    const [deleted] = await this.deleteMany([imageName], executor);
    if (deleted === undefined) throw new ImageNotFoundError(imageName);
    return deleted;
  }

  /** Deletes the named records that exist; returns them. Unknown names are skipped. */
  async deleteMany(imageNames: readonly string[], executor: DatabaseExecutor = this.#db): Promise<ImageRecord[]> {
    const deleted: ImageRecord[] = [];
    for (const part of chunks([...new Set(imageNames)])) {
      const rows = await executor.deleteFrom("images").where("image_name", "in", part).returningAll().execute();
      deleted.push(...rows.map(imageRecordFromRow));
    }
    return deleted;
  }

  /** How many images match the filters (from the counts table when it can answer). */
  async count(filters: ImageListFilters = {}, executor: DatabaseExecutor = this.#db): Promise<number> {
    return this.#count(filters, undefined, executor);
  }

  /** How many intermediate images there are. */
  async getIntermediatesCount(): Promise<number> {
    return this.count({ is_intermediate: true });
  }

  /** Names of every intermediate image. */
  async getIntermediateNames(): Promise<string[]> {
    const rows = await this.#db.selectFrom("images").select("image_name").where("is_intermediate", "=", 1).execute();
    return rows.map((r) => r.image_name);
  }

  /**
   * A page of the images that match the filters, in gallery order. With `cursor` the page starts after the row the
   * cursor names (constant time at any depth); otherwise at `offset`. `total` counts every match.
   */
  async list(options: ImageListOptions = {}): Promise<ImagePage> {
    const limit = checkCount("limit", options.limit, DEFAULT_LIMIT);
    const starredFirst = options.starred_first ?? true;
    const dir: OrderDirection = options.order_dir ?? "DESC";
    this.#checkFilters(options);
    return this.#read(async (trx) => {
      const total = await this.#count(options, undefined, trx);
      if (options.cursor !== undefined && options.cursor !== null) {
        const cursor = decodeImageCursor(options.cursor);
        if (cursor.starred_first !== starredFirst || cursor.order_dir !== dir) {
          throw new InvalidImageCursorError(options.cursor, "it was issued for another sort order");
        }
        const items = await this.#pageAfter(trx, options, starredFirst, dir, cursor, limit);
        return this.#page(items, cursor.offset, limit, total, starredFirst, dir);
      }
      const offset = checkCount("offset", options.offset, 0);
      const items = await this.#pageAt(trx, options, starredFirst, dir, offset, limit, total);
      return this.#page(items, offset, limit, total, starredFirst, dir);
    });
  }

  /** Every matching name in gallery order, with the number of starred ones (the gallery's fast path). */
  async getNames(options: ImageListFilters & ImageSortOptions = {}): Promise<ImageNamesResult> {
    const starredFirst = options.starred_first ?? true;
    const dir: OrderDirection = options.order_dir ?? "DESC";
    this.#checkFilters(options);
    return this.#read(async (trx) => {
      const names: string[] = [];
      let starredCount: number | undefined;
      for (const starred of starredFirst ? ([1, 0] as const) : [undefined]) {
        const rows = await this.#ordered(
          trx.selectFrom("images").select("image_name"),
          options,
          starred,
          dir,
        ).execute();
        for (const row of rows) names.push(row.image_name);
        if (starred === 1) starredCount = rows.length;
      }
      starredCount ??= await this.#count(options, 1, trx);
      return { image_names: names, starred_count: starredCount, total_count: names.length };
    });
  }

  #checkFilters(filters: ImageListFilters): void {
    for (const category of filters.categories ?? []) assertImageCategory(category);
    if (filters.image_origin !== undefined && filters.image_origin !== null) assertResourceOrigin(filters.image_origin);
  }

  // Multi-statement reads see one snapshot: on SQLite the transaction holds the single connection; on PostgreSQL
  // REPEATABLE READ keeps concurrent writers from shifting rows between the count and the page.
  #read<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    const builder = this.#db.transaction();
    return (this.#dialect === "postgres" ? builder.setIsolationLevel("repeatable read") : builder).execute(fn);
  }

  #page(
    items: ImageRecord[],
    offset: number,
    limit: number,
    total: number,
    starredFirst: boolean,
    dir: OrderDirection,
  ): ImagePage {
    const last = items[items.length - 1];
    const more = last !== undefined && items.length === limit && offset + items.length < total;
    const next_cursor = more
      ? encodeImageCursor({
          starred: toDbBoolean(last.starred),
          created_at: last.created_at,
          image_name: last.image_name,
          starred_first: starredFirst,
          order_dir: dir,
          offset: offset + items.length,
        })
      : null;
    return { items, offset, limit, total, next_cursor };
  }

  #filter(eb: ImagesExpression, filters: ImageListFilters, starred: Starred): Expression<SqlBool> {
    const conditions: Expression<SqlBool>[] = [];
    const board = filters.board_id ?? null;
    if (board === "none") conditions.push(eb("board_id", "is", null));
    else if (board !== null) conditions.push(eb("board_id", "=", board));
    const categories = filters.categories ?? null;
    if (categories !== null) {
      if (categories.length === 0) conditions.push(sql<SqlBool>`1 = 0`);
      else if (categories.length === 1) conditions.push(eb("image_category", "=", categories[0]));
      else conditions.push(eb("image_category", "in", [...categories]));
    }
    if (filters.is_intermediate !== undefined && filters.is_intermediate !== null) {
      conditions.push(eb("is_intermediate", "=", toDbBoolean(filters.is_intermediate)));
    }
    if (starred !== undefined) conditions.push(eb("starred", "=", starred));
    if (filters.image_origin !== undefined && filters.image_origin !== null) {
      conditions.push(eb("image_origin", "=", filters.image_origin));
    }
    const term = filters.search_term ?? "";
    if (term !== "") {
      const pattern = `%${escapeLike(term.toLowerCase())}%`;
      conditions.push(
        eb.or([
          sql<SqlBool>`lower(metadata) like ${pattern} escape '\\'`,
          sql<SqlBool>`lower(created_at) like ${pattern} escape '\\'`,
        ]),
      );
    }
    return eb.and(conditions);
  }

  #ordered<O>(
    query: SelectQueryBuilder<Database, "images", O>,
    filters: ImageListFilters,
    starred: Starred,
    dir: OrderDirection,
  ) {
    return query
      .where((eb) => this.#filter(eb, filters, starred))
      .orderBy("created_at", lowerDir(dir))
      .orderBy("image_name", lowerDir(dir));
  }

  async #count(filters: ImageListFilters, starred: Starred, executor: DatabaseExecutor): Promise<number> {
    if (!countable(filters)) {
      const row = await executor
        .selectFrom("images")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where((eb) => this.#filter(eb, filters, starred))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    }
    const categories = filters.categories ?? null;
    if (categories !== null && categories.length === 0) return 0;
    let query = executor
      .withTables<{ image_counts: ImageCountsTable }>()
      .selectFrom("image_counts")
      .select(sql<number | string>`coalesce(sum(image_count), 0)`.as("n"));
    const board = filters.board_id ?? null;
    if (board !== null) query = query.where("board_key", "=", board === "none" ? "" : board);
    if (categories !== null) {
      query =
        categories.length === 1
          ? query.where("image_category", "=", categories[0])
          : query.where("image_category", "in", [...categories]);
    }
    if (filters.is_intermediate !== undefined && filters.is_intermediate !== null) {
      query = query.where("is_intermediate", "=", toDbBoolean(filters.is_intermediate));
    }
    if (starred !== undefined) query = query.where("starred", "=", starred);
    const row = await query.executeTakeFirstOrThrow();
    // PostgreSQL's sum(bigint) is numeric, which pg returns as text.
    return Number(row.n);
  }

  /** The page at `offset`: walks the starred-first segments by their counts, then reads inside one segment. */
  async #pageAt(
    trx: Kysely<Database>,
    filters: ImageListFilters,
    starredFirst: boolean,
    dir: OrderDirection,
    offset: number,
    limit: number,
    total: number,
  ): Promise<ImageRecord[]> {
    const items: ImageRecord[] = [];
    if (limit === 0 || offset >= total) return items;
    let skip = offset;
    const segments: Starred[] = starredFirst ? [1, 0] : [undefined];
    for (const starred of segments) {
      const size = segments.length === 1 ? total : await this.#count(filters, starred, trx);
      if (skip >= size) {
        skip -= size;
        continue;
      }
      const take = Math.min(limit - items.length, size - skip);
      items.push(...(await this.#segmentSlice(trx, filters, starred, dir, skip, take, size)));
      skip = 0;
      if (items.length >= limit) break;
    }
    return items;
  }

  /**
   * `take` rows at `skip` inside one index-ordered segment of `size` rows. OFFSET costs a step per skipped entry,
   * so a slice in the back half is read from the other end of the index, and only the names are read while
   * skipping (from the covering index); the rows are fetched by name afterwards.
   */
  async #segmentSlice(
    trx: Kysely<Database>,
    filters: ImageListFilters,
    starred: Starred,
    dir: OrderDirection,
    skip: number,
    take: number,
    size: number,
  ): Promise<ImageRecord[]> {
    const fromEnd = size - skip - take;
    const backwards = fromEnd < skip;
    const rows = await this.#ordered(
      trx.selectFrom("images").select("image_name"),
      filters,
      starred,
      backwards ? reversed(dir) : dir,
    )
      .limit(take)
      .offset(backwards ? Math.max(fromEnd, 0) : skip)
      .execute();
    const names = rows.map((r) => r.image_name);
    if (backwards) names.reverse();
    return this.getMany(names, trx);
  }

  /** The page after the cursor's row: the rest of its segment, then the following segment from its start. */
  async #pageAfter(
    trx: Kysely<Database>,
    filters: ImageListFilters,
    starredFirst: boolean,
    dir: OrderDirection,
    cursor: { starred: DbBoolean; created_at: string; image_name: string },
    limit: number,
  ): Promise<ImageRecord[]> {
    const items: ImageRecord[] = [];
    if (limit === 0) return items;
    const segments: Starred[] = starredFirst ? (cursor.starred === 1 ? [1, 0] : [0]) : [undefined];
    const op = dir === "DESC" ? sql.raw("<") : sql.raw(">");
    for (const [index, starred] of segments.entries()) {
      let query = this.#ordered(trx.selectFrom("images").selectAll(), filters, starred, dir);
      if (index === 0) {
        query = query.where(sql<SqlBool>`(created_at, image_name) ${op} (${cursor.created_at}, ${cursor.image_name})`);
      }
      const rows = await query.limit(limit - items.length).execute();
      items.push(...rows.map(imageRecordFromRow));
      if (items.length >= limit) break;
    }
    return items;
  }
}
