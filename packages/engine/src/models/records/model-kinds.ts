import type { ModelFormat, ModelType } from "@atelier/core";
import { InvalidModelConfigError } from "../model-errors.js";

/**
 * The formats each model type exists in (InvokeAI's config classes, `<Type>_<Format>_<Base>_Config`). A record
 * changed to a pair outside this table would match no config class there and no loader here. Types missing from
 * the table are not checked.
 */
export const MODEL_FORMATS_BY_TYPE: Readonly<Partial<Record<ModelType, readonly ModelFormat[]>>> = {
  main: [
    "checkpoint",
    "diffusers",
    "onnx",
    "olive",
    "bnb_quantized_nf4b",
    "gguf_quantized",
    "external_api",
    "sdnq_quantized",
  ],
  onnx: ["onnx", "olive"],
  vae: ["checkpoint", "diffusers"],
  lora: ["lycoris", "diffusers", "omi"],
  control_lora: ["lycoris", "diffusers"],
  controlnet: ["checkpoint", "diffusers"],
  embedding: ["embedding_file", "embedding_folder"],
  ip_adapter: ["invokeai", "checkpoint"],
  clip_vision: ["diffusers"],
  clip_embed: ["diffusers", "checkpoint"],
  t2i_adapter: ["diffusers"],
  t5_encoder: ["t5_encoder", "checkpoint", "bnb_quantized_int8b", "gguf_quantized"],
  spandrel_image_to_image: ["checkpoint"],
  siglip: ["diffusers"],
  flux_redux: ["checkpoint"],
  llava_onevision: ["diffusers"],
  unknown: ["unknown"],
};

/** Throws InvalidModelConfigError when a model type does not exist in this format (e.g. a LoRA as ONNX). */
export function checkModelKind(type: ModelType, format: ModelFormat, where: string): void {
  const formats = MODEL_FORMATS_BY_TYPE[type];
  if (formats === undefined || formats.includes(format)) return;
  throw new InvalidModelConfigError(
    `Model ${where} cannot be type ${type} in format ${format}: ${type} models come as ${formats.join(", ")}; change type and format together`,
    { where, type, format, formats: [...formats] },
  );
}
