import { InvalidImageCursorError } from "./image-record-errors.js";
import type { OrderDirection } from "./image-list-options.js";

/** The sort key of the last row of a page, the sort order it belongs to, and the position after it. */
export interface ImageListCursor {
  /** starred (0/1) of the last row. */
  readonly starred: 0 | 1;
  readonly created_at: string;
  readonly image_name: string;
  readonly starred_first: boolean;
  readonly order_dir: OrderDirection;
  /** Offset of the row after the last row, reported as the next page's `offset`. */
  readonly offset: number;
}

/** Serialises a cursor as an opaque URL-safe token. */
export function encodeImageCursor(cursor: ImageListCursor): string {
  const packed = [
    cursor.starred,
    cursor.created_at,
    cursor.image_name,
    cursor.starred_first ? 1 : 0,
    cursor.order_dir,
    cursor.offset,
  ];
  return Buffer.from(JSON.stringify(packed), "utf8").toString("base64url");
}

/** Parses a cursor token; throws InvalidImageCursorError for a token not made by `encodeImageCursor`. */
export function decodeImageCursor(token: string): ImageListCursor {
  let packed: unknown;
  try {
    packed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new InvalidImageCursorError(token, "not a cursor returned by an image listing");
  }
  if (!Array.isArray(packed) || packed.length !== 6)
    throw new InvalidImageCursorError(token, "not a cursor returned by an image listing");
  const [starred, createdAt, name, starredFirst, orderDir, offset] = packed as unknown[];
  if (
    (starred !== 0 && starred !== 1) ||
    typeof createdAt !== "string" ||
    typeof name !== "string" ||
    (starredFirst !== 0 && starredFirst !== 1) ||
    (orderDir !== "ASC" && orderDir !== "DESC") ||
    typeof offset !== "number" ||
    !Number.isInteger(offset) ||
    offset < 0
  ) {
    throw new InvalidImageCursorError(token, "the cursor's fields are malformed");
  }
  return {
    starred,
    created_at: createdAt,
    image_name: name,
    starred_first: starredFirst === 1,
    order_dir: orderDir,
    offset,
  };
}
