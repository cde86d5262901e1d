import { z } from "zod";
import { named } from "./api-registry.js";

export const ImageCategory = named("ImageCategory", z.enum(["general", "mask", "control", "user", "other"]));
export const ResourceOrigin = named("ResourceOrigin", z.enum(["internal", "external"]));

export const ImageDTO = named(
  "ImageDTO",
  z.object({
    image_name: z.string().describe("The unique name of the image."),
    image_url: z.string().describe("The URL of the image."),
    thumbnail_url: z.string().describe("The URL of the image's thumbnail."),
    image_origin: ResourceOrigin,
    image_category: ImageCategory,
    width: z.number().int(),
    height: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    deleted_at: z.string().nullable().optional(),
    is_intermediate: z.boolean(),
    session_id: z.string().nullable().optional(),
    node_id: z.string().nullable().optional(),
    starred: z.boolean(),
    has_workflow: z.boolean(),
    image_subfolder: z.string().optional(),
    board_id: z.string().nullable().optional(),
  }),
  "Deserialized image record, enriched for the frontend.",
);

export const OffsetPaginatedImages = named(
  "OffsetPaginatedResults_ImageDTO_",
  z.object({
    limit: z.number().int().describe("Limit of items to get"),
    offset: z.number().int().describe("Offset from which to retrieve items"),
    total: z.number().int().describe("Total number of items in result"),
    items: z.array(ImageDTO).describe("Items"),
    next_cursor: z.string().nullable().optional().describe("Atelier extension: pass as `cursor` to get the next page"),
  }),
);

export const ImageRecordChanges = named(
  "ImageRecordChanges",
  z.strictObject({
    image_category: ImageCategory.nullable().optional().describe("The image's new category."),
    session_id: z.string().nullable().optional().describe("The image's new session ID."),
    is_intermediate: z.boolean().nullable().optional().describe("The image's new `is_intermediate` flag."),
    starred: z.boolean().nullable().optional().describe("The image's new `starred` state"),
  }),
);

export const DeleteImagesResult = named(
  "DeleteImagesResult",
  z.object({
    affected_boards: z.array(z.string()),
    deleted_images: z.array(z.string()),
    failed_images: z.array(z.string()).optional(),
  }),
);

export const WorkflowAndGraphResponse = named(
  "WorkflowAndGraphResponse",
  z.object({ workflow: z.string().nullable(), graph: z.string().nullable() }),
);

export const ImageUrlsDTO = named(
  "ImageUrlsDTO",
  z.object({ image_name: z.string(), image_url: z.string(), thumbnail_url: z.string() }),
);

export const ImageNamesResult = named(
  "ImageNamesResult",
  z.object({ image_names: z.array(z.string()), starred_count: z.number().int(), total_count: z.number().int() }),
);

export const StarredImagesResult = named(
  "StarredImagesResult",
  z.object({ affected_boards: z.array(z.string()), starred_images: z.array(z.string()) }),
);

export const UnstarredImagesResult = named(
  "UnstarredImagesResult",
  z.object({ affected_boards: z.array(z.string()), unstarred_images: z.array(z.string()) }),
);

const imageNamesBody = z.object({ image_names: z.array(z.string()).describe("The list of names of images") });
export const Body_delete_images_from_list = named("Body_delete_images_from_list", imageNamesBody);
export const Body_star_images_in_list = named("Body_star_images_in_list", imageNamesBody.clone());
export const Body_unstar_images_in_list = named("Body_unstar_images_in_list", imageNamesBody.clone());
export const Body_get_images_by_names = named("Body_get_images_by_names", imageNamesBody.clone());

export const Body_upload_image = named(
  "Body_upload_image",
  z.object({
    file: z.string().meta({ contentMediaType: "application/octet-stream" }),
    resize_to: z
      .string()
      .nullable()
      .optional()
      .describe('Dimensions to resize the image to, as JSON {"width":W,"height":H}'),
    metadata: z.string().nullable().optional().describe("The metadata to associate with the image, a JSON object"),
  }),
);
