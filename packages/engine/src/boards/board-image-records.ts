import type { Kysely } from "kysely";
import { nowTimestamp, type Database } from "../database/index.js";
import { BoardNotFoundError } from "./board-errors.js";

/** The board id InvokeAI uses for "on no board" in listings and `affected_boards`. */
export const NO_BOARD_ID = "none";

const IN_CHUNK = 500;

function chunks<T>(values: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += IN_CHUNK) out.push(values.slice(i, i + IN_CHUNK));
  return out;
}

/**
 * The `board_images` table: which board each image is on (at most one). Writes here are mirrored into
 * `images.board_id` by the schema's triggers. Every method takes the executor to run on, so that callers can make
 * membership part of a larger transaction (an image and its board link are saved together).
 */
export class BoardImageRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Throws BoardNotFoundError unless the board exists. */
  async assertBoardExists(boardId: string, executor: Kysely<Database> = this.#db): Promise<void> {
    const row = await executor
      .selectFrom("boards")
      .select("board_id")
      .where("board_id", "=", boardId)
      .executeTakeFirst();
    if (row === undefined) throw new BoardNotFoundError(boardId);
  }

  /** Puts the images on the board, moving them off any other board. The images must exist. */
  async add(boardId: string, imageNames: readonly string[], executor: Kysely<Database> = this.#db): Promise<void> {
    const now = nowTimestamp();
    for (const part of chunks([...new Set(imageNames)])) {
      if (part.length === 0) continue;
      await executor
        .insertInto("board_images")
        .values(
          part.map((image_name) => ({
            board_id: boardId,
            image_name,
            created_at: now,
            updated_at: now,
            deleted_at: null,
          })),
        )
        .onConflict((oc) => oc.column("image_name").doUpdateSet({ board_id: boardId, updated_at: now }))
        .execute();
    }
  }

  /** Takes the images off their boards; returns the names that were on one, with that board. */
  async remove(imageNames: readonly string[], executor: Kysely<Database> = this.#db): Promise<Map<string, string>> {
    const removed = new Map<string, string>();
    for (const part of chunks([...new Set(imageNames)])) {
      if (part.length === 0) continue;
      const rows = await executor
        .deleteFrom("board_images")
        .where("image_name", "in", part)
        .returning(["image_name", "board_id"])
        .execute();
      for (const row of rows) removed.set(row.image_name, row.board_id);
    }
    return removed;
  }

  /** The board of each named image that is on one. */
  async boardsOf(imageNames: readonly string[], executor: Kysely<Database> = this.#db): Promise<Map<string, string>> {
    const boards = new Map<string, string>();
    for (const part of chunks([...new Set(imageNames)])) {
      if (part.length === 0) continue;
      const rows = await executor
        .selectFrom("board_images")
        .select(["image_name", "board_id"])
        .where("image_name", "in", part)
        .execute();
      for (const row of rows) boards.set(row.image_name, row.board_id);
    }
    return boards;
  }
}
