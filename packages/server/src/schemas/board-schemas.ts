import { z } from "zod";
import { named } from "./api-registry.js";

export const BoardVisibility = named("BoardVisibility", z.enum(["private", "shared", "public"]));
export const BoardRecordOrderBy = named("BoardRecordOrderBy", z.enum(["created_at", "board_name"]));

export const BoardDTO = named(
  "BoardDTO",
  z.object({
    board_id: z.string().describe("The unique ID of the board."),
    board_name: z.string().describe("The name of the board."),
    user_id: z.string().describe("The user who owns the board."),
    created_at: z.string(),
    updated_at: z.string(),
    deleted_at: z.string().nullable().optional(),
    cover_image_name: z.string().nullable().describe("The name of the board's cover image."),
    archived: z.boolean().describe("Whether or not the board is archived."),
    board_visibility: BoardVisibility.optional(),
    image_count: z.number().int().describe("The number of images in the board."),
    asset_count: z.number().int().describe("The number of assets in the board."),
    video_count: z.number().int().optional(),
  }),
);

export const OffsetPaginatedBoards = named(
  "OffsetPaginatedResults_BoardDTO_",
  z.object({ limit: z.number().int(), offset: z.number().int(), total: z.number().int(), items: z.array(BoardDTO) }),
);

export const BoardChanges = named(
  "BoardChanges",
  z.strictObject({
    board_name: z.string().max(300).nullable().optional().describe("The board's new name."),
    cover_image_name: z.string().nullable().optional().describe("The name of the board's new cover image."),
    archived: z.boolean().nullable().optional().describe("Whether or not the board is archived"),
    board_visibility: BoardVisibility.nullable().optional(),
  }),
);

export const DeleteBoardResult = named(
  "DeleteBoardResult",
  z.object({
    board_id: z.string(),
    deleted_board_images: z.array(z.string()),
    deleted_images: z.array(z.string()),
    failed_images: z.array(z.string()).optional(),
  }),
);

export const Body_add_image_to_board = named(
  "Body_add_image_to_board",
  z.object({ board_id: z.string(), image_name: z.string() }),
);
export const Body_remove_image_from_board = named("Body_remove_image_from_board", z.object({ image_name: z.string() }));
export const Body_add_images_to_board = named(
  "Body_add_images_to_board",
  z.object({ board_id: z.string(), image_names: z.array(z.string()) }),
);
export const Body_remove_images_from_board = named(
  "Body_remove_images_from_board",
  z.object({ image_names: z.array(z.string()) }),
);

export const AddImagesToBoardResult = named(
  "AddImagesToBoardResult",
  z.object({ affected_boards: z.array(z.string()), added_images: z.array(z.string()) }),
);
export const RemoveImagesFromBoardResult = named(
  "RemoveImagesFromBoardResult",
  z.object({ affected_boards: z.array(z.string()), removed_images: z.array(z.string()) }),
);
