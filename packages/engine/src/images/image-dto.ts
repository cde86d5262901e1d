import type { ImageDTO } from "@atelier/core";
import type { ImageRecord } from "../image-records/index.js";

/** Path of an image's full-size file on the HTTP API (relative, as InvokeAI returns it). */
export function imageUrl(imageName: string): string {
  return `api/v1/images/i/${encodeURIComponent(imageName)}/full`;
}

/** Path of an image's thumbnail on the HTTP API. */
export function thumbnailUrl(imageName: string): string {
  return `api/v1/images/i/${encodeURIComponent(imageName)}/thumbnail`;
}

/** The ImageDTO of a record: the record's public fields plus urls and board, with null optional fields left out. */
export function imageDtoFromRecord(record: ImageRecord): ImageDTO {
  return {
    image_name: record.image_name,
    image_url: imageUrl(record.image_name),
    thumbnail_url: thumbnailUrl(record.image_name),
    image_origin: record.image_origin,
    image_category: record.image_category,
    width: record.width,
    height: record.height,
    created_at: record.created_at,
    updated_at: record.updated_at,
    ...(record.deleted_at === null ? {} : { deleted_at: record.deleted_at }),
    is_intermediate: record.is_intermediate,
    ...(record.session_id === null ? {} : { session_id: record.session_id }),
    ...(record.node_id === null ? {} : { node_id: record.node_id }),
    starred: record.starred,
    has_workflow: record.has_workflow,
    image_subfolder: record.image_subfolder,
    ...(record.board_id === null ? {} : { board_id: record.board_id }),
  };
}
