import { z } from "zod";
import { named } from "./api-registry.js";

export const PresetType = named("PresetType", z.enum(["user", "default"]));

export const PresetData = named(
  "PresetData",
  z.strictObject({
    positive_prompt: z.string().describe("Positive prompt"),
    negative_prompt: z.string().describe("Negative prompt"),
  }),
);

export const StylePresetRecordWithImage = named(
  "StylePresetRecordWithImage",
  z.object({
    name: z.string().describe("The name of the style preset."),
    preset_data: PresetData.describe("The preset data"),
    type: PresetType.describe("The type of style preset"),
    is_public: z.boolean().default(false).describe("Whether the preset is visible to other users."),
    id: z.string().describe("The style preset ID."),
    user_id: z.string().describe("The user who owns this style preset."),
    image: z.string().nullable().describe("The path for image"),
  }),
);

const imagePart = z
  .string()
  .meta({ contentMediaType: "application/octet-stream" })
  .nullable()
  .optional()
  .describe("The image file to upload");

export const Body_create_style_preset = named(
  "Body_create_style_preset",
  z.object({
    image: imagePart,
    data: z.string().describe("The data of the style preset to create"),
  }),
);

export const Body_update_style_preset = named(
  "Body_update_style_preset",
  z.object({
    image: imagePart,
    data: z.string().describe("The data of the style preset to update"),
  }),
);

export const Body_import_style_presets = named(
  "Body_import_style_presets",
  z.object({
    file: z.string().meta({ contentMediaType: "application/octet-stream" }).describe("The file to import"),
  }),
);
