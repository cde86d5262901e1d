import { randomUUID } from "node:crypto";
import { BOARD_VISIBILITIES, type BoardDTO, type BoardVisibility, type ImageCategory } from "@atelier/core";
import { sql, type Kysely, type Selectable } from "kysely";
import { fromDbBoolean, nowTimestamp, toDbBoolean, type BoardsTable, type Database } from "../database/index.js";
import { ImageNotFoundError } from "../image-records/image-record-errors.js";
import { ASSET_IMAGE_CATEGORIES, GALLERY_IMAGE_CATEGORIES } from "../image-records/image-record.js";
import type { OrderDirection } from "../image-records/image-list-options.js";
import type { ImageCountsTable, ImageRecords } from "../image-records/image-records.js";
import { BoardImageRecords, NO_BOARD_ID } from "./board-image-records.js";
import { BoardNotFoundError, InvalidBoardError } from "./board-errors.js";

/** Longest board name (InvokeAI's limit). */
export const MAX_BOARD_NAME_LENGTH = 300;

/** What a board update may change (InvokeAI's BoardChanges); absent fields stay as they are. */
export interface BoardChanges {
  readonly board_name?: string;
  /** An image name to show as the cover, or null to go back to the most recent image. */
  readonly cover_image_name?: string | null;
  readonly archived?: boolean;
  readonly board_visibility?: BoardVisibility;
}

/** Sort order and archive filter of board listings. */
export interface BoardListOptions {
  /** Default `created_at`. */
  readonly order_by?: "created_at" | "board_name";
  /** Default `DESC`. */
  readonly direction?: OrderDirection;
  /** Default false: archived boards are left out. */
  readonly include_archived?: boolean;
}

/** A page of boards (InvokeAI's OffsetPaginatedResults[BoardDTO]). */
export interface BoardPage {
  readonly items: BoardDTO[];
  readonly offset: number;
  readonly limit: number;
  readonly total: number;
}

/** Result of moving images onto a board; `affected_boards` holds "none" when an image came from no board. */
export interface AddImagesToBoardResult {
  readonly affected_boards: string[];
  readonly added_images: string[];
}

/** Result of taking images off their boards. */
export interface RemoveImagesFromBoardResult {
  readonly affected_boards: string[];
  readonly removed_images: string[];
}

/** Result of deleting a board. */
export interface DeleteBoardResult {
  readonly board_id: string;
  /** Images that were on the board. */
  readonly deleted_board_images: string[];
  /** Images deleted with it (only with `includeImages`). */
  readonly deleted_images: string[];
}

/** Filters of `getAllImageNamesForBoard`. */
export interface BoardImageNameFilters {
  readonly categories?: readonly ImageCategory[] | null;
  readonly is_intermediate?: boolean | null;
}

/** Deletes images with their files (the image service); boards use it to delete a board's images. */
export interface ImageDeleter {
  deleteMany(imageNames: readonly string[]): Promise<{ deleted_images: string[] }>;
}

/** Construction options of BoardService. */
export interface BoardServiceOptions {
  readonly db: Kysely<Database>;
  readonly imageRecords: ImageRecords;
  /** Needed to delete a board together with its images. */
  readonly imageDeleter?: ImageDeleter;
}

type BoardRow = Selectable<BoardsTable>;

function checkName(name: unknown): string {
  if (typeof name !== "string" || name.trim() === "")
    throw new InvalidBoardError("board_name", name, "must not be empty");
  if (name.length > MAX_BOARD_NAME_LENGTH) {
    throw new InvalidBoardError("board_name", name, `must be at most ${MAX_BOARD_NAME_LENGTH} characters`);
  }
  return name;
}

function checkPaging(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new InvalidBoardError(field, value, "must be a whole number ≥ 0");
  return value;
}

interface BoardCounts {
  image_count: number;
  asset_count: number;
  /** Non-intermediate images per category, to find the cover without scanning categories that are empty. */
  perCategory: Map<string, number>;
}

/**
 * Boards and board membership (InvokeAI's board records, board image records and the two services over them).
 * Counts come from the trigger-kept `image_counts` table; the cover is the explicit cover image, else the board's
 * most recent non-intermediate image, starred first.
 */
export class BoardService {
  readonly #db: Kysely<Database>;
  readonly #records: ImageRecords;
  readonly #members: BoardImageRecords;
  #deleter: ImageDeleter | undefined;

  constructor(options: BoardServiceOptions) {
    this.#db = options.db;
    this.#records = options.imageRecords;
    this.#members = new BoardImageRecords(options.db);
    this.#deleter = options.imageDeleter;
  }

  /** Sets the service that deletes images with their files (wired after both services exist). */
  setImageDeleter(deleter: ImageDeleter): void {
    this.#deleter = deleter;
  }

  /** Creates an empty board. */
  async create(boardName: string): Promise<BoardDTO> {
    const now = nowTimestamp();
    const boardId = randomUUID();
    await this.#db
      .insertInto("boards")
      .values({
        board_id: boardId,
        board_name: checkName(boardName),
        created_at: now,
        updated_at: now,
        deleted_at: null,
      })
      .execute();
    return this.getDto(boardId);
  }

  /** The board's DTO; BoardNotFoundError when it does not exist. */
  async getDto(boardId: string): Promise<BoardDTO> {
    const row = await this.#db.selectFrom("boards").selectAll().where("board_id", "=", boardId).executeTakeFirst();
    if (row === undefined) throw new BoardNotFoundError(boardId);
    const [dto] = await this.#toDtos([row]);
    return dto;
  }

  /** Every board (archived ones only when asked), newest first unless another order is given. */
  async getAll(options: BoardListOptions = {}): Promise<BoardDTO[]> {
    const rows = await this.#listQuery(options).execute();
    return this.#toDtos(rows);
  }

  /** A page of boards. */
  async list(options: BoardListOptions & { offset?: number; limit?: number } = {}): Promise<BoardPage> {
    const offset = checkPaging("offset", options.offset ?? 0);
    const limit = checkPaging("limit", options.limit ?? 10);
    let countQuery = this.#db.selectFrom("boards").select((eb) => eb.fn.countAll<number>().as("n"));
    if (!(options.include_archived ?? false)) countQuery = countQuery.where("archived", "=", 0);
    const [{ n }, rows] = await Promise.all([
      countQuery.executeTakeFirstOrThrow(),
      this.#listQuery(options).limit(limit).offset(offset).execute(),
    ]);
    return { items: await this.#toDtos(rows), offset, limit, total: Number(n) };
  }

  /** Renames, archives/unarchives, sets or clears the cover, or changes the visibility. */
  async update(boardId: string, changes: BoardChanges): Promise<BoardDTO> {
    const set: { board_name?: string; cover_image_name?: string | null; archived?: 0 | 1; board_visibility?: string } =
      {};
    if (changes.board_name !== undefined) set.board_name = checkName(changes.board_name);
    if (changes.archived !== undefined) set.archived = toDbBoolean(changes.archived);
    if (changes.board_visibility !== undefined) {
      if (!BOARD_VISIBILITIES.includes(changes.board_visibility)) {
        throw new InvalidBoardError(
          "board_visibility",
          changes.board_visibility,
          `must be one of ${BOARD_VISIBILITIES.join(", ")}`,
        );
      }
      set.board_visibility = changes.board_visibility;
    }
    if (changes.cover_image_name !== undefined) {
      if (changes.cover_image_name !== null && (await this.#records.find(changes.cover_image_name)) === undefined) {
        throw new ImageNotFoundError(changes.cover_image_name);
      }
      set.cover_image_name = changes.cover_image_name;
    }
    const result = await this.#db
      .updateTable("boards")
      .set({ ...set, updated_at: nowTimestamp() })
      .where("board_id", "=", boardId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new BoardNotFoundError(boardId);
    return this.getDto(boardId);
  }

  /**
   * Deletes the board. Its images stay (on no board) unless `includeImages`, which deletes them with their files
   * first, so that a failure leaves the board in place.
   */
  async delete(boardId: string, options: { includeImages?: boolean } = {}): Promise<DeleteBoardResult> {
    await this.#members.assertBoardExists(boardId);
    const onBoard = await this.getAllImageNamesForBoard(boardId);
    let deletedImages: string[] = [];
    if (options.includeImages ?? false) {
      if (this.#deleter === undefined) throw new Error("BoardService has no image deleter: wire setImageDeleter first");
      deletedImages = (await this.#deleter.deleteMany(onBoard)).deleted_images;
    }
    await this.#db.deleteFrom("boards").where("board_id", "=", boardId).execute();
    return { board_id: boardId, deleted_board_images: onBoard, deleted_images: deletedImages };
  }

  /** Moves one image onto the board (off any other board). */
  async addImageToBoard(boardId: string, imageName: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#members.assertBoardExists(boardId, trx);
      if ((await this.#records.find(imageName, trx)) === undefined) throw new ImageNotFoundError(imageName);
      await this.#members.add(boardId, [imageName], trx);
    });
  }

  /** Takes one image off its board; ImageNotFoundError for an unknown image. */
  async removeImageFromBoard(imageName: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      if ((await this.#records.find(imageName, trx)) === undefined) throw new ImageNotFoundError(imageName);
      await this.#members.remove([imageName], trx);
    });
  }

  /** Moves the images that exist onto the board, in one transaction; unknown names are skipped. */
  async addImagesToBoard(boardId: string, imageNames: readonly string[]): Promise<AddImagesToBoardResult> {
    return this.#db.transaction().execute(async (trx) => {
      await this.#members.assertBoardExists(boardId, trx);
      const existing = (await this.#records.getMany(imageNames, trx)).map((r) => r.image_name);
      const previous = await this.#members.boardsOf(existing, trx);
      await this.#members.add(boardId, existing, trx);
      const affected = new Set<string>(existing.length > 0 ? [boardId] : []);
      for (const name of existing) affected.add(previous.get(name) ?? NO_BOARD_ID);
      return { affected_boards: [...affected], added_images: existing };
    });
  }

  /** Takes the images that exist off their boards, in one transaction; unknown names are skipped. */
  async removeImagesFromBoard(imageNames: readonly string[]): Promise<RemoveImagesFromBoardResult> {
    return this.#db.transaction().execute(async (trx) => {
      const existing = (await this.#records.getMany(imageNames, trx)).map((r) => r.image_name);
      const previous = await this.#members.remove(existing, trx);
      const affected = new Set<string>(existing.length > 0 ? [NO_BOARD_ID] : []);
      for (const board of previous.values()) affected.add(board);
      return { affected_boards: [...affected], removed_images: existing };
    });
  }

  /** Names of the images on the board (`"none"`: on no board), newest first, optionally filtered. */
  async getAllImageNamesForBoard(boardId: string, filters: BoardImageNameFilters = {}): Promise<string[]> {
    if (boardId !== NO_BOARD_ID) await this.#members.assertBoardExists(boardId);
    const { image_names } = await this.#records.getNames({
      board_id: boardId,
      categories: filters.categories ?? null,
      is_intermediate: filters.is_intermediate ?? null,
      starred_first: false,
      order_dir: "DESC",
    });
    return image_names;
  }

  #listQuery(options: BoardListOptions) {
    const direction = (options.direction ?? "DESC") === "ASC" ? "asc" : "desc";
    let query = this.#db.selectFrom("boards").selectAll();
    if (!(options.include_archived ?? false)) query = query.where("archived", "=", 0);
    query =
      (options.order_by ?? "created_at") === "board_name"
        ? query.orderBy(sql`lower(board_name)`, direction).orderBy("board_name", direction)
        : query.orderBy("created_at", direction);
    return query.orderBy("board_id", direction);
  }

  async #counts(boardIds: readonly string[]): Promise<Map<string, BoardCounts>> {
    const counts = new Map<string, BoardCounts>();
    for (const id of boardIds) counts.set(id, { image_count: 0, asset_count: 0, perCategory: new Map() });
    if (boardIds.length === 0) return counts;
    const rows = await this.#db
      .withTables<{ image_counts: ImageCountsTable }>()
      .selectFrom("image_counts")
      .select(["board_key", "image_category", sql<number | string>`sum(image_count)`.as("n")])
      .where("board_key", "in", [...boardIds])
      .where("is_intermediate", "=", 0)
      .groupBy(["board_key", "image_category"])
      .execute();
    for (const row of rows) {
      const entry = counts.get(row.board_key);
      const n = Number(row.n);
      if (entry === undefined || n === 0) continue;
      entry.perCategory.set(row.image_category, n);
      if (GALLERY_IMAGE_CATEGORIES.includes(row.image_category as ImageCategory)) entry.image_count += n;
      else if (ASSET_IMAGE_CATEGORIES.includes(row.image_category as ImageCategory)) entry.asset_count += n;
    }
    return counts;
  }

  /** The most recent non-intermediate image of the board, starred first: one index probe per non-empty category. */
  async #latestImage(boardId: string, categories: Iterable<string>): Promise<string | null> {
    let best: { starred: number; created_at: string; image_name: string } | undefined;
    for (const category of categories) {
      const row = await this.#db
        .selectFrom("images")
        .select(["starred", "created_at", "image_name"])
        .where("board_id", "=", boardId)
        .where("image_category", "=", category)
        .where("is_intermediate", "=", 0)
        .orderBy("starred", "desc")
        .orderBy("created_at", "desc")
        .orderBy("image_name", "desc")
        .limit(1)
        .executeTakeFirst();
      if (row === undefined) continue;
      const better =
        best === undefined ||
        row.starred > best.starred ||
        (row.starred === best.starred &&
          (row.created_at > best.created_at ||
            (row.created_at === best.created_at && row.image_name > best.image_name)));
      if (better) best = { starred: row.starred, created_at: row.created_at, image_name: row.image_name };
    }
    return best?.image_name ?? null;
  }

  async #toDtos(rows: readonly BoardRow[]): Promise<BoardDTO[]> {
    const counts = await this.#counts(rows.map((r) => r.board_id));
    return Promise.all(
      rows.map(async (row) => {
        const c = counts.get(row.board_id) ?? {
          image_count: 0,
          asset_count: 0,
          perCategory: new Map<string, number>(),
        };
        const cover = row.cover_image_name ?? (await this.#latestImage(row.board_id, c.perCategory.keys()));
        const dto: BoardDTO = {
          board_id: row.board_id,
          board_name: row.board_name,
          user_id: row.user_id,
          created_at: row.created_at,
          updated_at: row.updated_at,
          ...(row.deleted_at === null ? {} : { deleted_at: row.deleted_at }),
          cover_image_name: cover,
          archived: fromDbBoolean(row.archived),
          board_visibility: row.board_visibility as BoardVisibility,
          image_count: c.image_count,
          asset_count: c.asset_count,
          video_count: 0,
        };
        return dto;
      }),
    );
  }
}
