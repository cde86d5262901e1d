import { IMAGE_CATEGORIES, RESOURCE_ORIGINS, type ImageCategory, type ResourceOrigin } from "@atelier/core";
import type { Selectable } from "kysely";
import { fromDbBoolean, type ImagesTable } from "../database/index.js";
import { InvalidImageRecordError } from "./image-record-errors.js";

/** Categories shown in the gallery's "images" tab. */
export const GALLERY_IMAGE_CATEGORIES: readonly ImageCategory[] = ["general"];
/** Categories shown in the gallery's "assets" tab. */
export const ASSET_IMAGE_CATEGORIES: readonly ImageCategory[] = ["control", "mask", "user", "other"];

/** One row of the `images` table with booleans and enums decoded (metadata stays JSON text). */
export interface ImageRecord {
  readonly image_name: string;
  readonly image_origin: ResourceOrigin;
  readonly image_category: ImageCategory;
  readonly width: number;
  readonly height: number;
  readonly session_id: string | null;
  readonly node_id: string | null;
  /** The metadata JSON text, or null. */
  readonly metadata: string | null;
  readonly is_intermediate: boolean;
  readonly created_at: string;
  readonly updated_at: string;
  readonly deleted_at: string | null;
  readonly starred: boolean;
  readonly has_workflow: boolean;
  readonly user_id: string;
  /** Sub-folder under `outputs/images`, "" for the flat layout. */
  readonly image_subfolder: string;
  /** The board the image is on, or null. */
  readonly board_id: string | null;
}

/** What `ImageRecords.save` writes. Times default to now. */
export interface NewImageRecord {
  readonly image_name: string;
  readonly image_origin: ResourceOrigin;
  readonly image_category: ImageCategory;
  readonly width: number;
  readonly height: number;
  readonly session_id?: string | null;
  readonly node_id?: string | null;
  readonly metadata?: string | null;
  readonly is_intermediate?: boolean;
  readonly starred?: boolean;
  readonly has_workflow?: boolean;
  readonly image_subfolder?: string;
  readonly created_at?: string;
}

/** The fields a record may change after creation (InvokeAI's ImageRecordChanges). */
export interface ImageRecordChanges {
  readonly image_category?: ImageCategory;
  readonly session_id?: string | null;
  readonly is_intermediate?: boolean;
  readonly starred?: boolean;
}

/** Throws InvalidImageRecordError unless `value` is an image category. */
export function assertImageCategory(value: unknown): asserts value is ImageCategory {
  if (!IMAGE_CATEGORIES.includes(value as ImageCategory)) {
    throw new InvalidImageRecordError("image_category", value, `must be one of ${IMAGE_CATEGORIES.join(", ")}`);
  }
}

/** Throws InvalidImageRecordError unless `value` is a resource origin. */
export function assertResourceOrigin(value: unknown): asserts value is ResourceOrigin {
  if (!RESOURCE_ORIGINS.includes(value as ResourceOrigin)) {
    throw new InvalidImageRecordError("image_origin", value, `must be one of ${RESOURCE_ORIGINS.join(", ")}`);
  }
}

/** Decodes a selected `images` row. */
export function imageRecordFromRow(row: Selectable<ImagesTable>): ImageRecord {
  return {
    image_name: row.image_name,
    image_origin: row.image_origin as ResourceOrigin,
    image_category: row.image_category as ImageCategory,
    width: Number(row.width),
    height: Number(row.height),
    session_id: row.session_id,
    node_id: row.node_id,
    metadata: row.metadata,
    is_intermediate: fromDbBoolean(row.is_intermediate),
    created_at: row.created_at,
    updated_at: row.updated_at,
    deleted_at: row.deleted_at,
    starred: fromDbBoolean(row.starred),
    has_workflow: fromDbBoolean(row.has_workflow),
    user_id: row.user_id,
    image_subfolder: row.image_subfolder,
    board_id: row.board_id,
  };
}
