/** Who may see a board. */
export const BOARD_VISIBILITIES = ["private", "shared", "public"] as const;
/** The visibility of a board. */
export type BoardVisibility = (typeof BOARD_VISIBILITIES)[number];

/** A board as the API returns it (InvokeAI's BoardDTO). */
export interface BoardDTO {
  readonly board_id: string;
  readonly board_name: string;
  readonly user_id: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly deleted_at?: string | null;
  /** The most recent image (starred first), or null for an empty board. */
  readonly cover_image_name: string | null;
  readonly archived: boolean;
  readonly board_visibility?: BoardVisibility;
  /** Non-intermediate images of category `general`. */
  readonly image_count: number;
  /** Images of the asset categories (mask, control, user, other). */
  readonly asset_count: number;
  readonly video_count?: number;
  readonly cover_video_name?: string | null;
  readonly owner_username?: string | null;
}
