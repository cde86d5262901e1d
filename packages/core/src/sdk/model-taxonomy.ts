import { z } from "zod";
import { namedSchema } from "./named-schemas.js";

// InvokeAI's model taxonomy (backend/model_manager/taxonomy.py). The value lists are wire values: they appear in
// graphs, model records and `ui_model_*` hints, so their spelling must not change.

/** Base model architectures. */
export const BASE_MODEL_TYPES = [
  "any",
  "sd-1",
  "sd-2",
  "sd-3",
  "sdxl",
  "sdxl-refiner",
  "flux",
  "flux2",
  "cogview4",
  "z-image",
  "ernie-image",
  "ideogram-4",
  "external",
  "qwen-image",
  "anima",
  "krea-2",
  "wan",
  "unknown",
] as const;
/** A base model architecture, e.g. `sd-1`, `sdxl`, `flux`. */
export type BaseModelType = (typeof BASE_MODEL_TYPES)[number];
/** zod schema of BaseModelType (named `BaseModelType` in JSON Schema). */
export const BaseModelTypeSchema = namedSchema(
  "BaseModelType",
  z.enum(BASE_MODEL_TYPES),
  "An enumeration of base model architectures. For example, Stable Diffusion 1.x, Stable Diffusion 2.x, FLUX, etc.",
);

/** Model types. */
export const MODEL_TYPES = [
  "onnx",
  "main",
  "vae",
  "lora",
  "control_lora",
  "controlnet",
  "embedding",
  "ip_adapter",
  "clip_vision",
  "clip_embed",
  "t2i_adapter",
  "t5_encoder",
  "qwen3_encoder",
  "qwen_vl_encoder",
  "qwen3_vl_encoder",
  "mistral_encoder",
  "wan_t5_encoder",
  "gemma2_encoder",
  "spandrel_image_to_image",
  "siglip",
  "flux_redux",
  "llava_onevision",
  "prompt_enhancer",
  "text_llm",
  "external_image_generator",
  "pid_decoder",
  "unknown",
] as const;
/** A model type, e.g. `main`, `vae`, `lora`. */
export type ModelType = (typeof MODEL_TYPES)[number];
/** zod schema of ModelType (named `ModelType`). */
export const ModelTypeSchema = namedSchema("ModelType", z.enum(MODEL_TYPES), "Model type.");

/** Submodels of a main model. */
export const SUB_MODEL_TYPES = [
  "unet",
  "transformer",
  "transformer_2",
  "text_encoder",
  "text_encoder_2",
  "text_encoder_3",
  "tokenizer",
  "tokenizer_2",
  "tokenizer_3",
  "pe",
  "pe_tokenizer",
  "vae",
  "vae_decoder",
  "vae_encoder",
  "scheduler",
  "safety_checker",
] as const;
/** A submodel type, e.g. `unet`, `text_encoder`. */
export type SubModelType = (typeof SUB_MODEL_TYPES)[number];
/** zod schema of SubModelType (named `SubModelType`). */
export const SubModelTypeSchema = namedSchema("SubModelType", z.enum(SUB_MODEL_TYPES), "Submodel type.");

/** Storage formats of models. */
export const MODEL_FORMATS = [
  "omi",
  "diffusers",
  "checkpoint",
  "lycoris",
  "onnx",
  "olive",
  "embedding_file",
  "embedding_folder",
  "invokeai",
  "t5_encoder",
  "qwen3_encoder",
  "qwen_vl_encoder",
  "qwen3_vl_encoder",
  "mistral_encoder",
  "wan_t5_encoder",
  "gemma2_encoder",
  "bnb_quantized_int8b",
  "bnb_quantized_nf4b",
  "gguf_quantized",
  "external_api",
  "sdnq_quantized",
  "unknown",
] as const;
/** A model storage format, e.g. `diffusers`, `checkpoint`. */
export type ModelFormat = (typeof MODEL_FORMATS)[number];
/** zod schema of ModelFormat (named `ModelFormat`). */
export const ModelFormatSchema = namedSchema("ModelFormat", z.enum(MODEL_FORMATS), "Storage format of model.");

/** Main-model variants (SD family). */
export const MODEL_VARIANT_TYPES = ["normal", "inpaint", "depth"] as const;
/** A main-model variant. */
export type ModelVariantType = (typeof MODEL_VARIANT_TYPES)[number];
/** CLIP embed variants. */
export const CLIP_VARIANT_TYPES = ["large", "gigantic"] as const;
/** A CLIP embed variant. */
export type ClipVariantType = (typeof CLIP_VARIANT_TYPES)[number];
/** FLUX.1 variants. */
export const FLUX_VARIANT_TYPES = ["schnell", "dev", "dev_fill"] as const;
/** A FLUX.1 variant. */
export type FluxVariantType = (typeof FLUX_VARIANT_TYPES)[number];
/** FLUX.2 variants. */
export const FLUX2_VARIANT_TYPES = ["klein_4b", "klein_4b_base", "klein_9b", "klein_9b_base", "dev"] as const;
/** A FLUX.2 variant. */
export type Flux2VariantType = (typeof FLUX2_VARIANT_TYPES)[number];
/** Any model variant a `ui_model_variant` hint may name. */
export type AnyModelVariantType = ModelVariantType | ClipVariantType | FluxVariantType | Flux2VariantType;
/** Every value of AnyModelVariantType. */
export const ANY_MODEL_VARIANT_TYPES: readonly AnyModelVariantType[] = [
  ...new Set<AnyModelVariantType>([
    ...MODEL_VARIANT_TYPES,
    ...CLIP_VARIANT_TYPES,
    ...FLUX_VARIANT_TYPES,
    ...FLUX2_VARIANT_TYPES,
  ]),
];

/** What a scheduler's model predicts (InvokeAI's SchedulerPredictionType). */
export const SCHEDULER_PREDICTION_TYPES = ["epsilon", "v_prediction", "sample"] as const;
/** A scheduler prediction type. */
export type SchedulerPredictionType = (typeof SCHEDULER_PREDICTION_TYPES)[number];
/** Which file variant of a Hugging Face repo a diffusers model was taken from ("" = the plain files). */
export const MODEL_REPO_VARIANTS = ["", "fp16", "fp32", "onnx", "openvino", "flax"] as const;
/** A repo file variant. */
export type ModelRepoVariant = (typeof MODEL_REPO_VARIANTS)[number];
/** Where a model was installed from (InvokeAI's ModelSourceType). */
export const MODEL_SOURCE_TYPES = ["path", "url", "hf_repo_id", "external"] as const;
/** A model source type. */
export type ModelSourceType = (typeof MODEL_SOURCE_TYPES)[number];
