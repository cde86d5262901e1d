import type { ImageCategory, ResourceOrigin } from "@atelier/core";
import type { ImageRecord } from "./image-record.js";

/** Sort direction of listings (InvokeAI's SQLiteDirection). */
export type OrderDirection = "ASC" | "DESC";

/** Which images a listing includes; an absent or null filter does not filter. */
export interface ImageListFilters {
  /** A board id, or `"none"` for images on no board. */
  readonly board_id?: string | null;
  /** Any of these categories (an empty list matches nothing). */
  readonly categories?: readonly ImageCategory[] | null;
  readonly is_intermediate?: boolean | null;
  readonly image_origin?: ResourceOrigin | null;
  /** Case-insensitive substring of the metadata JSON or the creation time. */
  readonly search_term?: string | null;
}

/** Sort order of listings: starred first (default), then by creation time (default newest first). */
export interface ImageSortOptions {
  readonly starred_first?: boolean;
  readonly order_dir?: OrderDirection;
}

/** A page request: `offset`/`limit`, or `cursor` (from the previous page's `next_cursor`) with `limit`. */
export interface ImageListOptions extends ImageListFilters, ImageSortOptions {
  readonly offset?: number;
  readonly limit?: number;
  readonly cursor?: string | null;
}

/** A page of a listing (InvokeAI's OffsetPaginatedResults plus a keyset cursor for the next page). */
export interface ImagePage<T = ImageRecord> {
  readonly items: T[];
  /** Position of the first item in the whole listing. */
  readonly offset: number;
  readonly limit: number;
  /** How many images match the filters. */
  readonly total: number;
  /** Pass as `cursor` to get the page after this one in constant time; null on the last page. */
  readonly next_cursor: string | null;
}

/** Every matching name in listing order (InvokeAI's ImageNamesResult). */
export interface ImageNamesResult {
  readonly image_names: string[];
  readonly starred_count: number;
  readonly total_count: number;
}
