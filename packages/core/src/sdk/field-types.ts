import { z } from "zod";
import type { ModelConfigRecord } from "../context/invocation-context.js";
import { BaseModelTypeSchema, ModelTypeSchema, SubModelTypeSchema } from "./model-taxonomy.js";
import { namedSchema } from "./named-schemas.js";

// InvokeAI's field models (invocations/fields.py, invocations/model.py) with their wire shapes. Large data never
// travels through a graph: images, tensors, latents and conditioning are passed by name.

/** Any value (Python `Any`): used by iterate/collect/if. JSON Schema `{}`; TypeExpr `any`. */
export const AnyField = z.unknown();

/** An image, by name. */
export const ImageField = namedSchema(
  "ImageField",
  z.object({ image_name: z.string().describe("The name of the image") }),
  "An image primitive field",
);
/** A board, by id. */
export const BoardField = namedSchema(
  "BoardField",
  z.object({ board_id: z.string().describe("The id of the board") }),
  "A board primitive field",
);
/** A tensor, by name. */
export const TensorField = namedSchema(
  "TensorField",
  z.object({ tensor_name: z.string().describe("The name of a tensor.") }),
  "A tensor primitive field.",
);
/** A latents tensor, by name, with the seed that made it. */
export const LatentsField = namedSchema(
  "LatentsField",
  z.object({
    latents_name: z.string().describe("The name of the latents"),
    seed: z.number().int().nullable().default(null).describe("Seed used to generate this latents"),
  }),
  "A latents tensor primitive field",
);
const conditioningMaskDescription =
  "The mask associated with this conditioning tensor. Excluded regions should be set to False, included regions should be set to True.";
/** SD/SDXL conditioning, by name, with an optional regional mask. */
export const ConditioningField = namedSchema(
  "ConditioningField",
  z.object({
    conditioning_name: z.string().describe("The name of conditioning tensor"),
    mask: TensorField.nullable().default(null).describe(conditioningMaskDescription),
  }),
  "A conditioning tensor primitive value",
);
/** FLUX conditioning, by name, with an optional regional mask. */
export const FluxConditioningField = namedSchema(
  "FluxConditioningField",
  z.object({
    conditioning_name: z.string().describe("The name of conditioning tensor"),
    mask: TensorField.nullable().default(null).describe(conditioningMaskDescription),
  }),
  "A conditioning tensor primitive value",
);
/** An inpaint mask (and optionally the masked image's latents). */
export const DenoiseMaskField = namedSchema(
  "DenoiseMaskField",
  z.object({
    mask_name: z.string().describe("The name of the mask image"),
    masked_latents_name: z.string().nullable().default(null).describe("The name of the masked image latents"),
    gradient: z.boolean().default(false).describe("Used for gradient inpainting"),
  }),
  "An inpaint mask field",
);
const colorComponent = (name: string) => z.number().int().gte(0).lte(255).describe(`The ${name} component`);
/** An RGBA color, 0..255 per channel. */
export const ColorField = namedSchema(
  "ColorField",
  z.object({
    r: colorComponent("red"),
    g: colorComponent("green"),
    b: colorComponent("blue"),
    a: colorComponent("alpha"),
  }),
  "A color primitive field",
);
/** A bounding box in pixels (min inclusive, max exclusive), with an optional detector score. */
export const BoundingBoxField = namedSchema(
  "BoundingBoxField",
  z.object({
    x_min: z.number().int().describe("The minimum x-coordinate of the bounding box (inclusive)."),
    x_max: z.number().int().describe("The maximum x-coordinate of the bounding box (exclusive)."),
    y_min: z.number().int().describe("The minimum y-coordinate of the bounding box (inclusive)."),
    y_max: z.number().int().describe("The maximum y-coordinate of the bounding box (exclusive)."),
    score: z
      .number()
      .gte(0)
      .lte(1)
      .nullable()
      .default(null)
      .describe("The score associated with the bounding box. In the range [0, 1]."),
  }),
  "A bounding box primitive value.",
);
/** Free-form generation metadata (a JSON object). */
export const MetadataField = namedSchema(
  "MetadataField",
  z.record(z.string(), z.unknown()),
  "Pydantic model for metadata with custom root of type dict[str, Any].\nMetadata is stored without a strict schema.",
);
/** Identifies an installed model (and optionally one of its submodels). */
export const ModelIdentifierField = namedSchema(
  "ModelIdentifierField",
  z.object({
    key: z.string().describe("The model's unique key"),
    hash: z.string().describe("The model's BLAKE3 hash"),
    name: z.string().describe("The model's name"),
    base: BaseModelTypeSchema.describe("The model's base model type"),
    type: ModelTypeSchema.describe("The model's type"),
    submodel_type: SubModelTypeSchema.nullable()
      .default(null)
      .describe("The submodel to load, if this is a main model"),
  }),
);
/** The identifier of an installed model, from its config record (no submodel). */
export function modelIdentifierOf(config: ModelConfigRecord): ModelIdentifierFieldValue {
  return {
    key: config.key,
    hash: config.hash,
    name: config.name,
    base: config.base,
    type: config.type,
    submodel_type: null,
  };
}

/** A LoRA and the weight to apply it with. */
export const LoRAField = namedSchema(
  "LoRAField",
  z.object({
    lora: ModelIdentifierField.describe("Info to load lora model"),
    weight: z.number().describe("Weight to apply to lora model"),
  }),
);
const freeUScale = (description: string) => z.number().gte(-1).lte(3).describe(description);
/** FreeU hyperparameters. */
export const FreeUConfig = namedSchema(
  "FreeUConfig",
  z.object({
    s1: freeUScale("Scaling factor for stage 1 to attenuate the contributions of the skip features."),
    s2: freeUScale("Scaling factor for stage 2 to attenuate the contributions of the skip features."),
    b1: freeUScale("Scaling factor for stage 1 to amplify the contributions of backbone features."),
    b2: freeUScale("Scaling factor for stage 2 to amplify the contributions of backbone features."),
  }),
  "Configuration for the FreeU hyperparameters.",
);
const loras = () => z.array(LoRAField).describe("LoRAs to apply on model loading");
const seamlessAxes = () => z.array(z.string()).default([]).describe('Axes("x" and "y") to which apply seamless');
/** A UNet with its scheduler, LoRAs and seamless/FreeU settings. */
export const UNetField = namedSchema(
  "UNetField",
  z.object({
    unet: ModelIdentifierField.describe("Info to load unet submodel"),
    scheduler: ModelIdentifierField.describe("Info to load scheduler submodel"),
    loras: loras(),
    seamless_axes: seamlessAxes(),
    freeu_config: FreeUConfig.nullable().default(null).describe("FreeU configuration"),
  }),
);
/** A CLIP tokenizer + text encoder with skipped layers and LoRAs. */
export const CLIPField = namedSchema(
  "CLIPField",
  z.object({
    tokenizer: ModelIdentifierField.describe("Info to load tokenizer submodel"),
    text_encoder: ModelIdentifierField.describe("Info to load text_encoder submodel"),
    skipped_layers: z.number().int().describe("Number of skipped layers in text_encoder"),
    loras: loras(),
  }),
);
/** A T5 tokenizer + text encoder with LoRAs. */
export const T5EncoderField = namedSchema(
  "T5EncoderField",
  z.object({
    tokenizer: ModelIdentifierField.describe("Info to load tokenizer submodel"),
    text_encoder: ModelIdentifierField.describe("Info to load text_encoder submodel"),
    loras: loras(),
  }),
);
/** A VAE with seamless settings. */
export const VAEField = namedSchema(
  "VAEField",
  z.object({ vae: ModelIdentifierField.describe("Info to load vae submodel"), seamless_axes: seamlessAxes() }),
);
/** A transformer (FLUX, SD3, …) with LoRAs. */
export const TransformerField = namedSchema(
  "TransformerField",
  z.object({ transformer: ModelIdentifierField.describe("Info to load Transformer submodel"), loras: loras() }),
);

/** Wire value of an ImageField. */
export type ImageFieldValue = z.output<typeof ImageField>;
/** Wire value of a BoardField. */
export type BoardFieldValue = z.output<typeof BoardField>;
/** Wire value of a TensorField. */
export type TensorFieldValue = z.output<typeof TensorField>;
/** Wire value of a LatentsField. */
export type LatentsFieldValue = z.output<typeof LatentsField>;
/** Wire value of a ConditioningField. */
export type ConditioningFieldValue = z.output<typeof ConditioningField>;
/** Wire value of a FluxConditioningField. */
export type FluxConditioningFieldValue = z.output<typeof FluxConditioningField>;
/** Wire value of a DenoiseMaskField. */
export type DenoiseMaskFieldValue = z.output<typeof DenoiseMaskField>;
/** Wire value of a ColorField. */
export type ColorFieldValue = z.output<typeof ColorField>;
/** Wire value of a BoundingBoxField. */
export type BoundingBoxFieldValue = z.output<typeof BoundingBoxField>;
/** Wire value of a MetadataField. */
export type MetadataFieldValue = z.output<typeof MetadataField>;
/** Wire value of a ModelIdentifierField. */
export type ModelIdentifierFieldValue = z.output<typeof ModelIdentifierField>;
/** Wire value of a LoRAField. */
export type LoRAFieldValue = z.output<typeof LoRAField>;
/** Wire value of a UNetField. */
export type UNetFieldValue = z.output<typeof UNetField>;
/** Wire value of a CLIPField. */
export type CLIPFieldValue = z.output<typeof CLIPField>;
/** Wire value of a T5EncoderField. */
export type T5EncoderFieldValue = z.output<typeof T5EncoderField>;
/** Wire value of a VAEField. */
export type VAEFieldValue = z.output<typeof VAEField>;
/** Wire value of a TransformerField. */
export type TransformerFieldValue = z.output<typeof TransformerField>;
