import type { ImageCategory, ImageDTO } from "@atelier/core";
import { z } from "zod";
import { defineRoute, type AnyRouteSpec } from "../http/route-spec.js";
import { RequestValidationError } from "../http/request-validation.js";
import { readUploadedFile } from "../http/uploads.js";
import { SQLiteDirection } from "../schemas/api-registry.js";
import {
  Body_delete_images_from_list,
  Body_get_images_by_names,
  Body_star_images_in_list,
  Body_unstar_images_in_list,
  Body_upload_image,
  DeleteImagesResult,
  ImageCategory as ImageCategorySchema,
  ImageDTO as ImageDTOSchema,
  ImageNamesResult,
  ImageRecordChanges,
  ImageUrlsDTO,
  OffsetPaginatedImages,
  ResourceOrigin,
  StarredImagesResult,
  UnstarredImagesResult,
  WorkflowAndGraphResponse,
} from "../schemas/image-schemas.js";

/** Filters of the gallery listings (`GET /images/` and `GET /images/names`). */
export interface ImageListFilters {
  image_origin?: "internal" | "external" | null;
  categories?: ImageCategory[] | null;
  is_intermediate?: boolean | null;
  /** A board id, or "none" for images on no board. */
  board_id?: string | null;
  order_dir: "ASC" | "DESC";
  starred_first: boolean;
  search_term?: string | null;
}

/** What the image routes need from the image service. */
export interface ImagesPort {
  upload(
    bytes: Uint8Array,
    options: {
      category: ImageCategory;
      isIntermediate: boolean;
      boardId: string | null;
      sessionId: string | null;
      cropVisible: boolean;
      metadata: string | null;
      resizeTo: { width: number; height: number } | null;
    },
  ): Promise<ImageDTO>;
  list(
    filters: ImageListFilters & { offset: number; limit: number; cursor?: string | null },
  ): Promise<{ items: ImageDTO[]; offset: number; limit: number; total: number; next_cursor?: string | null }>;
  names(filters: ImageListFilters): Promise<{ image_names: string[]; starred_count: number; total_count: number }>;
  getDto(name: string): Promise<ImageDTO>;
  /** DTOs of the named images that exist, in the order asked. */
  getDtos(names: readonly string[]): Promise<ImageDTO[]>;
  update(
    name: string,
    changes: {
      image_category?: ImageCategory;
      session_id?: string | null;
      is_intermediate?: boolean;
      starred?: boolean;
    },
  ): Promise<ImageDTO>;
  delete(names: readonly string[]): Promise<{ affected_boards: string[]; deleted_images: string[] }>;
  deleteUncategorized(): Promise<{ affected_boards: string[]; deleted_images: string[] }>;
  getMetadata(name: string): Promise<Record<string, unknown> | null>;
  getWorkflow(name: string): Promise<{ workflow: string | null; graph: string | null }>;
  fullBytes(name: string): Promise<Uint8Array>;
  thumbnailBytes(name: string): Promise<Uint8Array>;
  star(names: readonly string[]): Promise<{ affected_boards: string[]; starred_images: string[] }>;
  unstar(names: readonly string[]): Promise<{ affected_boards: string[]; unstarred_images: string[] }>;
  intermediatesCount(): Promise<number>;
  deleteIntermediates(): Promise<number>;
}

const ImageNameParams = z.object({ image_name: z.string().describe("The name of the image") });

const listFilters = {
  image_origin: ResourceOrigin.nullable().optional().describe("The origin of images to list."),
  categories: z.array(ImageCategorySchema).nullable().optional().describe("The categories of image to include."),
  is_intermediate: z.boolean().nullable().optional().describe("Whether to list intermediate images."),
  board_id: z
    .string()
    .nullable()
    .optional()
    .describe("The board id to filter by. Use 'none' to find images without a board."),
  order_dir: SQLiteDirection.default("DESC").describe("The order of sort"),
  starred_first: z.boolean().default(true).describe("Whether to sort by starred images first"),
  search_term: z.string().nullable().optional().describe("The term to search for"),
};

/** Full images and thumbnails never change under a name, so clients may keep them for a year. */
const IMMUTABLE = "max-age=31536000";

function parseResizeTo(text: string | undefined): { width: number; height: number } | null {
  if (text === undefined || text === "" || text === "null") return null;
  const issue = (msg: string) => new RequestValidationError([{ loc: ["body", "resize_to"], msg, type: "value_error" }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw issue('must be JSON like {"width": 512, "height": 512}');
  }
  const dims = parsed as { width?: unknown; height?: unknown };
  if (
    !Number.isInteger(dims.width) ||
    !Number.isInteger(dims.height) ||
    (dims.width as number) <= 0 ||
    (dims.height as number) <= 0
  ) {
    throw issue("width and height must be positive integers");
  }
  return { width: dims.width as number, height: dims.height as number };
}

/** `/api/v1/images/*`: upload, gallery listings, DTOs, files, metadata, stars, deletion. */
export function imageRoutes(deps: { images: ImagesPort }): AnyRouteSpec[] {
  const { images } = deps;
  const tag = "images";
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/images/upload",
      operationId: "upload_image",
      tag,
      summary: "Upload Image",
      description: "Uploads an image (PNG, JPEG or WebP); metadata, workflow and graph chunks of a PNG are kept",
      query: z.object({
        image_category: ImageCategorySchema.describe("The category of the image"),
        is_intermediate: z.boolean().describe("Whether this is an intermediate image"),
        board_id: z.string().nullable().optional().describe("The board to add this image to, if any"),
        session_id: z.string().nullable().optional().describe("The session ID associated with this upload, if any"),
        crop_visible: z.boolean().nullable().optional().default(false).describe("Whether to crop the image"),
      }),
      body: Body_upload_image,
      bodyContentType: "multipart/form-data",
      response: { schema: ImageDTOSchema, status: 201, description: "The image was uploaded successfully" },
      handler: async ({ query, request, reply }) => {
        const file = await readUploadedFile(request, "file");
        const dto = await images.upload(file.bytes, {
          category: query.image_category,
          isIntermediate: query.is_intermediate,
          boardId: query.board_id ?? null,
          sessionId: query.session_id ?? null,
          cropVisible: query.crop_visible ?? false,
          metadata: file.fields.metadata ?? null,
          resizeTo: parseResizeTo(file.fields.resize_to),
        });
        void reply.status(201).header("Location", dto.image_url);
        return dto;
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/images/",
      operationId: "list_image_dtos",
      tag,
      summary: "List Image Dtos",
      description: "Gets a list of image DTOs",
      query: z.object({
        ...listFilters,
        offset: z.number().int().min(0).default(0).describe("The page offset"),
        limit: z.number().int().min(0).default(10).describe("The number of images per page"),
        cursor: z
          .string()
          .nullable()
          .optional()
          .describe(
            "Atelier extension: the `next_cursor` of the previous page, for constant-time deep paging (offset is then ignored)",
          ),
      }),
      response: { schema: OffsetPaginatedImages },
      handler: ({ query }) => images.list(query),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/images/names",
      operationId: "get_image_names",
      tag,
      summary: "Get Image Names",
      description: "Gets ordered list of image names with metadata for optimistic updates",
      query: z.object(listFilters),
      response: { schema: ImageNamesResult },
      handler: ({ query }) => images.names(query),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/images/images_by_names",
      operationId: "get_images_by_names",
      tag,
      summary: "Get Images By Names",
      description: "Gets image DTOs for the specified image names. Maintains order of input names.",
      body: Body_get_images_by_names,
      response: { schema: z.array(ImageDTOSchema) },
      handler: ({ body }) => images.getDtos(body.image_names),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/images/i/{image_name}",
      operationId: "get_image_dto",
      tag,
      summary: "Get Image Dto",
      description: "Gets an image's DTO",
      params: ImageNameParams,
      response: { schema: ImageDTOSchema },
      handler: ({ params }) => images.getDto(params.image_name),
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/images/i/{image_name}",
      operationId: "update_image",
      tag,
      summary: "Update Image",
      description: "Updates an image (category, session id, intermediate flag, star)",
      params: ImageNameParams,
      body: ImageRecordChanges,
      response: { schema: ImageDTOSchema },
      handler: ({ params, body }) => {
        const changes: Parameters<ImagesPort["update"]>[1] = {};
        if (body.image_category != null) changes.image_category = body.image_category;
        if (body.session_id !== undefined) changes.session_id = body.session_id;
        if (body.is_intermediate != null) changes.is_intermediate = body.is_intermediate;
        if (body.starred != null) changes.starred = body.starred;
        return images.update(params.image_name, changes);
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/images/i/{image_name}",
      operationId: "delete_image",
      tag,
      summary: "Delete Image",
      description: "Deletes an image",
      params: ImageNameParams,
      response: { schema: DeleteImagesResult },
      handler: async ({ params }) => {
        await images.getDto(params.image_name);
        return images.delete([params.image_name]);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/images/intermediates",
      operationId: "get_intermediates_count",
      tag,
      summary: "Get Intermediates Count",
      description: "Gets the count of intermediate images",
      response: { schema: z.number().int() },
      handler: () => images.intermediatesCount(),
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/images/intermediates",
      operationId: "clear_intermediates",
      tag,
      summary: "Clear Intermediates",
      description: "Clears all intermediates",
      response: { schema: z.number().int() },
      handler: () => images.deleteIntermediates(),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/images/i/{image_name}/metadata",
      operationId: "get_image_metadata",
      tag,
      summary: "Get Image Metadata",
      description: "Gets an image's metadata",
      params: ImageNameParams,
      response: { schema: z.record(z.string(), z.unknown()).nullable() },
      handler: ({ params }) => images.getMetadata(params.image_name),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/images/i/{image_name}/workflow",
      operationId: "get_image_workflow",
      tag,
      summary: "Get Image Workflow",
      description: "Gets the workflow and graph embedded in an image",
      params: ImageNameParams,
      response: { schema: WorkflowAndGraphResponse },
      handler: ({ params }) => images.getWorkflow(params.image_name),
    }),
    defineRoute({
      method: "HEAD",
      path: "/api/v1/images/i/{image_name}/full",
      operationId: "get_image_full_head",
      tag,
      summary: "Get Image Full",
      description: "Gets a full-resolution image file's headers",
      params: ImageNameParams,
      response: { contentType: "image/png", description: "Return the full-resolution image" },
      handler: async ({ params, reply }) => {
        const bytes = await images.fullBytes(params.image_name);
        return reply
          .header("Cache-Control", IMMUTABLE)
          .header("Content-Length", bytes.byteLength)
          .type("image/png")
          .send();
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/images/i/{image_name}/full",
      operationId: "get_image_full",
      tag,
      summary: "Get Image Full",
      description: "Gets a full-resolution image file",
      params: ImageNameParams,
      response: { contentType: "image/png", description: "Return the full-resolution image" },
      handler: async ({ params, reply }) => {
        const bytes = await images.fullBytes(params.image_name);
        return reply
          .header("Cache-Control", IMMUTABLE)
          .header("Content-Disposition", `inline; filename="${params.image_name.replace(/["\\\r\n]/g, "_")}"`)
          .type("image/png")
          .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/images/i/{image_name}/thumbnail",
      operationId: "get_image_thumbnail",
      tag,
      summary: "Get Image Thumbnail",
      description: "Gets a thumbnail image file (WebP)",
      params: ImageNameParams,
      response: { contentType: "image/webp", description: "Return the image thumbnail" },
      handler: async ({ params, reply }) => {
        const bytes = await images.thumbnailBytes(params.image_name);
        return reply
          .header("Cache-Control", IMMUTABLE)
          .type("image/webp")
          .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/images/i/{image_name}/urls",
      operationId: "get_image_urls",
      tag,
      summary: "Get Image Urls",
      description: "Gets an image and thumbnail URL",
      params: ImageNameParams,
      response: { schema: ImageUrlsDTO },
      handler: async ({ params }) => {
        const dto = await images.getDto(params.image_name);
        return { image_name: dto.image_name, image_url: dto.image_url, thumbnail_url: dto.thumbnail_url };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/images/delete",
      operationId: "delete_images_from_list",
      tag,
      summary: "Delete Images From List",
      description: "Deletes the named images; names that do not exist are ignored",
      body: Body_delete_images_from_list,
      response: { schema: DeleteImagesResult },
      handler: ({ body }) => images.delete(body.image_names),
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/images/uncategorized",
      operationId: "delete_uncategorized_images",
      tag,
      summary: "Delete Uncategorized Images",
      description: "Deletes all images that are not on a board",
      response: { schema: DeleteImagesResult },
      handler: () => images.deleteUncategorized(),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/images/star",
      operationId: "star_images_in_list",
      tag,
      summary: "Star Images In List",
      body: Body_star_images_in_list,
      response: { schema: StarredImagesResult },
      handler: ({ body }) => images.star(body.image_names),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/images/unstar",
      operationId: "unstar_images_in_list",
      tag,
      summary: "Unstar Images In List",
      body: Body_unstar_images_in_list,
      response: { schema: UnstarredImagesResult },
      handler: ({ body }) => images.unstar(body.image_names),
    }),
  ];
}
