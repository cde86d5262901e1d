import type { BoardDTO, ImageCategory } from "@atelier/core";
import { z } from "zod";
import { defineRoute, type AnyRouteSpec } from "../http/route-spec.js";
import { SQLiteDirection } from "../schemas/api-registry.js";
import {
  AddImagesToBoardResult,
  BoardChanges,
  BoardDTO as BoardDTOSchema,
  BoardRecordOrderBy,
  Body_add_image_to_board,
  Body_add_images_to_board,
  Body_remove_image_from_board,
  Body_remove_images_from_board,
  DeleteBoardResult,
  OffsetPaginatedBoards,
  RemoveImagesFromBoardResult,
} from "../schemas/board-schemas.js";
import { ImageCategory as ImageCategorySchema } from "../schemas/image-schemas.js";

/** Board listing options (`GET /boards/`). */
export interface BoardListOptions {
  order_by: "created_at" | "board_name";
  direction: "ASC" | "DESC";
  include_archived: boolean;
}

/** What the board routes need from the board service. */
export interface BoardsPort {
  create(boardName: string): Promise<BoardDTO>;
  getDto(boardId: string): Promise<BoardDTO>;
  listAll(options: BoardListOptions): Promise<BoardDTO[]>;
  listPage(
    options: BoardListOptions & { offset: number; limit: number },
  ): Promise<{ items: BoardDTO[]; offset: number; limit: number; total: number }>;
  update(
    boardId: string,
    changes: {
      board_name?: string;
      cover_image_name?: string | null;
      archived?: boolean;
      board_visibility?: "private" | "shared" | "public";
    },
  ): Promise<BoardDTO>;
  delete(
    boardId: string,
    includeImages: boolean,
  ): Promise<{ board_id: string; deleted_board_images: string[]; deleted_images: string[] }>;
  imageNames(
    boardId: string,
    filters: { categories?: ImageCategory[] | null; is_intermediate?: boolean | null },
  ): Promise<string[]>;
  addImages(
    boardId: string,
    imageNames: readonly string[],
  ): Promise<{ affected_boards: string[]; added_images: string[] }>;
  removeImages(imageNames: readonly string[]): Promise<{ affected_boards: string[]; removed_images: string[] }>;
}

const BoardIdParams = z.object({ board_id: z.string().describe("The id of board to get") });

/** `/api/v1/boards/*`. */
export function boardRoutes(deps: { boards: BoardsPort }): AnyRouteSpec[] {
  const { boards } = deps;
  const tag = "boards";
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/boards/",
      operationId: "create_board",
      tag,
      summary: "Create Board",
      description: "Creates a board",
      query: z.object({ board_name: z.string().max(300).describe("The name of the board to create") }),
      response: { schema: BoardDTOSchema, status: 201, description: "The board was created successfully" },
      handler: async ({ query, reply }) => {
        const dto = await boards.create(query.board_name);
        void reply.status(201);
        return dto;
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/boards/",
      operationId: "list_boards",
      tag,
      summary: "List Boards",
      description: "Gets a list of boards: all of them with `all=true`, else a page",
      query: z.object({
        order_by: BoardRecordOrderBy.default("created_at").describe("The attribute to order by"),
        direction: SQLiteDirection.default("DESC").describe("The direction to order by"),
        all: z.boolean().nullable().optional().describe("Whether to list all boards"),
        offset: z.number().int().min(0).nullable().optional().describe("The page offset"),
        limit: z.number().int().min(0).nullable().optional().describe("The number of boards per page"),
        include_archived: z.boolean().default(false).describe("Whether or not to include archived boards in list"),
      }),
      response: { schema: z.union([OffsetPaginatedBoards, z.array(BoardDTOSchema)]) },
      handler: ({ query }) => {
        const options = {
          order_by: query.order_by,
          direction: query.direction,
          include_archived: query.include_archived,
        };
        if (query.all) return boards.listAll(options);
        return boards.listPage({ ...options, offset: query.offset ?? 0, limit: query.limit ?? 10 });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/boards/{board_id}",
      operationId: "get_board",
      tag,
      summary: "Get Board",
      description: "Gets a board",
      params: BoardIdParams,
      response: { schema: BoardDTOSchema },
      handler: ({ params }) => boards.getDto(params.board_id),
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/boards/{board_id}",
      operationId: "update_board",
      tag,
      summary: "Update Board",
      description: "Updates a board",
      params: BoardIdParams,
      body: BoardChanges,
      response: { schema: BoardDTOSchema, status: 201, description: "The board was updated successfully" },
      handler: async ({ params, body, reply }) => {
        const changes: Parameters<BoardsPort["update"]>[1] = {};
        if (body.board_name != null) changes.board_name = body.board_name;
        if (body.cover_image_name !== undefined) changes.cover_image_name = body.cover_image_name;
        if (body.archived != null) changes.archived = body.archived;
        if (body.board_visibility != null) changes.board_visibility = body.board_visibility;
        const dto = await boards.update(params.board_id, changes);
        void reply.status(201);
        return dto;
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/boards/{board_id}",
      operationId: "delete_board",
      tag,
      summary: "Delete Board",
      description: "Deletes a board, and its images with `include_images=true`",
      params: BoardIdParams,
      query: z.object({
        include_images: z
          .boolean()
          .nullable()
          .optional()
          .default(false)
          .describe("Permanently delete all images on the board"),
      }),
      response: { schema: DeleteBoardResult },
      handler: ({ params, query }) => boards.delete(params.board_id, query.include_images === true),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/boards/{board_id}/image_names",
      operationId: "list_all_board_image_names",
      tag,
      summary: "List All Board Image Names",
      description: "Gets a list of images for a board ('none' for images on no board)",
      params: BoardIdParams,
      query: z.object({
        categories: z.array(ImageCategorySchema).nullable().optional().describe("The categories of image to include."),
        is_intermediate: z.boolean().nullable().optional().describe("Whether to list intermediate images."),
      }),
      response: { schema: z.array(z.string()) },
      handler: ({ params, query }) => boards.imageNames(params.board_id, query),
    }),
  ];
}

/** `/api/v1/board_images/*`: an image is on at most one board. */
export function boardImageRoutes(deps: { boards: BoardsPort }): AnyRouteSpec[] {
  const { boards } = deps;
  const tag = "boards";
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/board_images/",
      operationId: "add_image_to_board",
      tag,
      summary: "Add Image To Board",
      description: "Creates a board_image",
      body: Body_add_image_to_board,
      response: {
        schema: AddImagesToBoardResult,
        status: 201,
        description: "The image was added to a board successfully",
      },
      handler: async ({ body, reply }) => {
        const result = await boards.addImages(body.board_id, [body.image_name]);
        void reply.status(201);
        return result;
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/board_images/",
      operationId: "remove_image_from_board",
      tag,
      summary: "Remove Image From Board",
      description: "Removes an image from its board, if it had one",
      body: Body_remove_image_from_board,
      response: {
        schema: RemoveImagesFromBoardResult,
        status: 201,
        description: "The image was removed from the board successfully",
      },
      handler: async ({ body, reply }) => {
        const result = await boards.removeImages([body.image_name]);
        void reply.status(201);
        return result;
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/board_images/batch",
      operationId: "add_images_to_board",
      tag,
      summary: "Add Images To Board",
      description: "Adds a list of images to a board",
      body: Body_add_images_to_board,
      response: { schema: AddImagesToBoardResult, status: 201, description: "Images were added to board successfully" },
      handler: async ({ body, reply }) => {
        const result = await boards.addImages(body.board_id, body.image_names);
        void reply.status(201);
        return result;
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/board_images/batch/delete",
      operationId: "remove_images_from_board",
      tag,
      summary: "Remove Images From Board",
      description: "Removes a list of images from their boards, if they had any",
      body: Body_remove_images_from_board,
      response: {
        schema: RemoveImagesFromBoardResult,
        status: 201,
        description: "Images were removed from board successfully",
      },
      handler: async ({ body, reply }) => {
        const result = await boards.removeImages(body.image_names);
        void reply.status(201);
        return result;
      },
    }),
  ];
}
