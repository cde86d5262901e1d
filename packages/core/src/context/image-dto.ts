/** Image categories: `general` shows in the "images" gallery tab, the rest under "assets". */
export const IMAGE_CATEGORIES = ["general", "mask", "control", "user", "other"] as const;
/** The category of an image. */
export type ImageCategory = (typeof IMAGE_CATEGORIES)[number];

/** Where an image came from: made by a node (`internal`) or uploaded (`external`). */
export const RESOURCE_ORIGINS = ["internal", "external"] as const;
/** The origin of an image. */
export type ResourceOrigin = (typeof RESOURCE_ORIGINS)[number];

/** An image record as the API returns it (InvokeAI's ImageDTO; optional fields are left out when null). */
export interface ImageDTO {
  readonly image_name: string;
  readonly image_url: string;
  readonly thumbnail_url: string;
  readonly image_origin: ResourceOrigin;
  readonly image_category: ImageCategory;
  readonly width: number;
  readonly height: number;
  readonly created_at: string;
  readonly updated_at: string;
  readonly deleted_at?: string | null;
  readonly is_intermediate: boolean;
  readonly session_id?: string | null;
  readonly node_id?: string | null;
  readonly starred: boolean;
  readonly has_workflow: boolean;
  /** Sub-folder under `outputs/images` (`""` for the flat layout). */
  readonly image_subfolder?: string;
  readonly board_id?: string | null;
}
