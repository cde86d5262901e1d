import {
  ANY_MODEL_VARIANT_TYPES,
  BASE_MODEL_TYPES,
  MODEL_FORMATS,
  MODEL_REPO_VARIANTS,
  MODEL_SOURCE_TYPES,
  MODEL_TYPES,
  SCHEDULER_PREDICTION_TYPES,
  z,
  type AnyModelVariantType,
  type BaseModelType,
  type ModelConfigRecord,
  type ModelFormat,
  type ModelType,
} from "@atelier/core";
import { InvalidModelConfigError } from "../model-errors.js";

// A model config is InvokeAI's AnyModelConfig as one JSON object: common fields (key, hash, path, …, type, format,
// base) plus the fields of its kind. Rather than ~124 classes, one schema validates the common and known optional
// fields and lets unknown extras through, so that records written by newer versions still load.

/** A model config record (the JSON stored in `models.config`). */
export type ModelConfig = ModelConfigRecord;

const variantSchema = z.enum(ANY_MODEL_VARIANT_TYPES as [AnyModelVariantType, ...AnyModelVariantType[]]);

/** Default generation settings of a main model (InvokeAI's MainModelDefaultSettings). */
export const MainModelDefaultSettingsSchema = z
  .object({
    vae: z.string().nullable().optional(),
    vae_precision: z.enum(["fp16", "fp32"]).nullable().optional(),
    scheduler: z.string().nullable().optional(),
    steps: z.number().int().positive().nullable().optional(),
    cfg_scale: z.number().nullable().optional(),
    cfg_rescale_multiplier: z.number().min(0).max(1).nullable().optional(),
    width: z.number().int().positive().nullable().optional(),
    height: z.number().int().positive().nullable().optional(),
    guidance: z.number().nullable().optional(),
    cpu_only: z.boolean().nullable().optional(),
    fp8_storage: z.boolean().nullable().optional(),
  })
  .loose();

/** The fields of a stored config, validated when a record is read, written or patched. */
export const ModelConfigSchema = z
  .object({
    key: z.string().min(1),
    hash: z.string().min(1),
    path: z.string().min(1),
    file_size: z.number().int().min(0),
    name: z.string().min(1),
    description: z.string().nullable(),
    source: z.string().min(1),
    source_type: z.enum(MODEL_SOURCE_TYPES),
    source_api_response: z.string().nullable(),
    cover_image: z.string().nullable(),
    base: z.enum(BASE_MODEL_TYPES),
    type: z.enum(MODEL_TYPES),
    format: z.enum(MODEL_FORMATS),
    variant: variantSchema.nullable().optional(),
    prediction_type: z.enum(SCHEDULER_PREDICTION_TYPES).nullable().optional(),
    repo_variant: z.enum(MODEL_REPO_VARIANTS).nullable().optional(),
    trigger_phrases: z.array(z.string()).nullable().optional(),
    default_settings: z.record(z.string(), z.unknown()).nullable().optional(),
    config_path: z.string().nullable().optional(),
    upcast_attention: z.boolean().nullable().optional(),
    unknown_reason: z.string().nullable().optional(),
  })
  .loose();

/** Changes to a record (InvokeAI's ModelRecordChanges): every field optional, unknown fields refused. */
export const ModelRecordChangesSchema = z
  .object({
    source: z.string().min(1),
    source_type: z.enum(MODEL_SOURCE_TYPES),
    source_api_response: z.string().nullable(),
    source_url: z.string().nullable(),
    name: z.string().min(1),
    path: z.string().min(1),
    description: z.string().nullable(),
    base: z.enum(BASE_MODEL_TYPES),
    type: z.enum(MODEL_TYPES),
    key: z.string().min(1),
    hash: z.string().min(1),
    file_size: z.number().int().min(0),
    format: z.enum(MODEL_FORMATS),
    trigger_phrases: z.array(z.string()).nullable(),
    default_settings: z.record(z.string(), z.unknown()).nullable(),
    variant: variantSchema.nullable(),
    prediction_type: z.enum(SCHEDULER_PREDICTION_TYPES).nullable(),
    repo_variant: z.enum(MODEL_REPO_VARIANTS).nullable(),
    upcast_attention: z.boolean().nullable(),
    config_path: z.string().nullable(),
    cpu_only: z.boolean().nullable(),
    cover_image: z.string().nullable(),
  })
  .partial()
  .strict();

/** Changes to a model record; also the overrides given at install time. */
export type ModelRecordChanges = z.output<typeof ModelRecordChangesSchema>;

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** Validates a config object (from the database, a patch result or identification); throws InvalidModelConfigError. */
export function parseModelConfig(value: unknown, where: string): ModelConfig {
  const parsed = ModelConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidModelConfigError(`Model config ${where} is invalid: ${issuesText(parsed.error)}`, {
      where,
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data as ModelConfig;
}

/** Validates record changes (a PATCH body or install overrides); throws InvalidModelConfigError. */
export function parseModelRecordChanges(value: unknown, where = "changes"): ModelRecordChanges {
  const parsed = ModelRecordChangesSchema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new InvalidModelConfigError(`Model record ${where} are invalid: ${issuesText(parsed.error)}`, {
      where,
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
}

/** InvokeAI's class tag of a config, e.g. `main.checkpoint.sd-1`, for logs and discriminated clients. */
export function modelConfigTag(config: Pick<ModelConfig, "type" | "format" | "base">): string {
  return `${config.type}.${config.format}.${config.base}`;
}

/** Default settings of a main model by base (InvokeAI's `MainModelDefaultSettings.from_base`): the native size. */
export function mainModelDefaultSettings(base: BaseModelType): Record<string, unknown> | null {
  switch (base) {
    case "sd-1":
      return { width: 512, height: 512 };
    case "sd-2":
      return { width: 768, height: 768 };
    case "sdxl":
    case "sdxl-refiner":
    case "sd-3":
    case "flux":
    case "flux2":
    case "cogview4":
    case "z-image":
      return { width: 1024, height: 1024 };
    default:
      return null;
  }
}

const CONTROL_PREPROCESSORS: readonly (readonly [RegExp, string])[] = [
  [/canny/i, "canny_image_processor"],
  [/depth/i, "depth_anything_image_processor"],
  [/pose/i, "dw_openpose_image_processor"],
  [/seg/i, "segment_anything_processor"],
  [/lineart_anime|anime/i, "lineart_anime_image_processor"],
  [/lineart/i, "lineart_image_processor"],
  [/scribble|sketch/i, "pidi_image_processor"],
  [/normal/i, "normalbae_image_processor"],
  [/mlsd/i, "mlsd_image_processor"],
  [/softedge|hed/i, "hed_image_processor"],
  [/tile/i, "tile_image_processor"],
  [/color/i, "color_map_image_processor"],
];

/** Default settings after identification (InvokeAI's post-processing): main → size, control → preprocessor. */
export function defaultSettingsFor(
  type: ModelType,
  base: BaseModelType,
  name: string,
  format: ModelFormat,
): Record<string, unknown> | null {
  if (type === "main" && format !== "unknown") return mainModelDefaultSettings(base);
  if (type === "controlnet" || type === "t2i_adapter" || type === "control_lora") {
    const match = CONTROL_PREPROCESSORS.find(([pattern]) => pattern.test(name));
    return { preprocessor: match === undefined ? null : match[1] };
  }
  if (type === "lora") return { weight: 0.75 };
  return null;
}
