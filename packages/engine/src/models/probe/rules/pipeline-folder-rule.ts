import type {
  BaseModelType,
  ClipVariantType,
  Flux2VariantType,
  FluxVariantType,
  ModelType,
  SubModelType,
  ModelRepoVariant,
  ModelVariantType,
  SchedulerPredictionType,
} from "@atelier/core";
import {
  configClassName,
  invalid,
  match,
  noMatch,
  numberField,
  stringField,
  type IdentificationRule,
  type RuleOutcome,
  type SubmodelDefinition,
} from "../identification-rule.js";
import type { ModelOnDisk } from "../model-on-disk.js";

// Pipelines as folders: diffusers (`model_index.json` + one folder per part) and ONNX exports in HF optimum's layout
// (the same `model_index.json`, parts as `<part>/model.onnx` with their diffusers configs beside them).

const SD_PIPELINES = new Set([
  "StableDiffusionPipeline",
  "StableDiffusionOnnxPipeline",
  "StableDiffusionInpaintPipeline",
  "StableDiffusionImg2ImgPipeline",
  "LatentConsistencyModelPipeline",
  "OnnxStableDiffusionPipeline",
  "ORTStableDiffusionPipeline",
]);
const SDXL_PIPELINES = new Set([
  "StableDiffusionXLPipeline",
  "StableDiffusionXLInpaintPipeline",
  "StableDiffusionXLImg2ImgPipeline",
  "ORTStableDiffusionXLPipeline",
]);
const SD3_PIPELINES = new Set([
  "StableDiffusion3Pipeline",
  "StableDiffusion3Img2ImgPipeline",
  "StableDiffusion3InpaintPipeline",
]);
const FLUX_PIPELINES = new Set([
  "FluxPipeline",
  "FluxFillPipeline",
  "FluxImg2ImgPipeline",
  "FluxInpaintPipeline",
  "ORTFluxPipeline",
]);
const FLUX2_PIPELINES = new Set(["Flux2Pipeline", "Flux2KleinPipeline"]);

/** `model_index.json` names a component as `[library, class]`, or `[null, null]` when the pipeline has none. */
function hasComponent(index: unknown, name: string): boolean {
  if (typeof index !== "object" || index === null) return false;
  const value = (index as Record<string, unknown>)[name];
  return Array.isArray(value) && value[0] !== null && value[0] !== undefined;
}

/** SD 1 and SD 2 both use a CLIP text encoder; SD 1's uses quick_gelu, SD 2's (OpenCLIP) gelu. */
async function sdBaseFromTextEncoder(model: ModelOnDisk): Promise<BaseModelType> {
  const config = await model.readJson("text_encoder/config.json");
  return stringField(config, "hidden_act") === "gelu" ? "sd-2" : "sd-1";
}

async function identifySdFamily(model: ModelOnDisk, className: string, index: unknown): Promise<RuleOutcome> {
  const unet = await model.readJson("unet/config.json");
  if (unet === undefined) return invalid(`${className} folder without unet/config.json`);
  const width = numberField(unet, "cross_attention_dim");
  const xl = SDXL_PIPELINES.has(className);
  let base: BaseModelType;
  if (width === 768) base = "sd-1";
  else if (width === 1024) base = "sd-2";
  else if (width === 2048) base = "sdxl";
  else if (width === 1280) base = "sdxl-refiner";
  // Reduced-size models (tests, distillations) keep the pipeline's layout but not its widths.
  else if (xl) base = hasComponent(index, "text_encoder") ? "sdxl" : "sdxl-refiner";
  else base = await sdBaseFromTextEncoder(model);
  if (xl !== (base === "sdxl" || base === "sdxl-refiner")) {
    return invalid(`${className} with a UNet of cross_attention_dim ${width}`);
  }
  const inChannels = numberField(unet, "in_channels") ?? 4;
  let variant: ModelVariantType;
  if (inChannels === 4) variant = "normal";
  else if (inChannels === 9) variant = "inpaint";
  else if (inChannels === 5) variant = "depth";
  else return invalid(`UNet in_channels ${inChannels} (expected 4, 5 or 9)`);
  const scheduler = await model.readJson("scheduler/scheduler_config.json");
  const prediction = (stringField(scheduler, "prediction_type") ?? "epsilon") as SchedulerPredictionType;
  const upcast = (unet as Record<string, unknown>).upcast_attention;
  return match({
    type: "main",
    format: "diffusers",
    base,
    variant,
    prediction_type: prediction,
    upcast_attention: typeof upcast === "boolean" ? upcast : false,
  });
}

async function identifyFlux(model: ModelOnDisk, className: string): Promise<RuleOutcome> {
  const transformer = await model.readJson("transformer/config.json");
  if (transformer === undefined) return invalid(`${className} folder without transformer/config.json`);
  const inChannels = numberField(transformer, "in_channels") ?? 64;
  let variant: FluxVariantType;
  if (inChannels === 384 || className === "FluxFillPipeline") variant = "dev_fill";
  else variant = (transformer as Record<string, unknown>).guidance_embeds === true ? "dev" : "schnell";
  return match({ type: "main", format: "diffusers", base: "flux", variant });
}

/** ModelType of a pipeline part by its class name (transformers' `architectures` or diffusers' `_class_name`). */
const PART_TYPES: readonly (readonly [RegExp, ModelType])[] = [
  [/^CLIPTextModel/, "clip_embed"],
  [/^T5EncoderModel$/, "t5_encoder"],
  [/^Qwen3(ForCausalLM|Model)$/, "qwen3_encoder"],
  [/^Mistral3?(ForConditionalGeneration|Model|ForCausalLM)$/, "mistral_encoder"],
  [/Transformer2DModel$/, "main"],
  [/^AutoencoderKL/, "vae"],
];

const SUBMODEL_PARTS: readonly SubModelType[] = [
  "transformer",
  "text_encoder",
  "text_encoder_2",
  "text_encoder_3",
  "vae",
];

/** CLIP-L (768 wide) is `large`, CLIP-G (1280) `gigantic`; reduced test models fall back to their slot. */
function clipVariant(config: unknown, part: SubModelType): ClipVariantType {
  const width = numberField(config, "hidden_size") ?? numberField(config, "projection_dim");
  if (width === 1280) return "gigantic";
  if (width === 768) return "large";
  return part === "text_encoder_2" ? "gigantic" : "large";
}

/**
 * The parts of an SD3 / FLUX.2 pipeline usable on their own (InvokeAI's `submodels`): every component the index
 * names whose folder has a config of a known class, with the CLIP variant for text encoders.
 */
async function pipelineSubmodels(
  model: ModelOnDisk,
  index: unknown,
): Promise<Partial<Record<SubModelType, SubmodelDefinition>>> {
  const out: Partial<Record<SubModelType, SubmodelDefinition>> = {};
  for (const part of SUBMODEL_PARTS) {
    if (!hasComponent(index, part)) continue;
    const config = await model.readJson(`${part}/config.json`);
    if (config === undefined) continue;
    const className = configClassName(config) ?? (index as Record<string, string[]>)[part][1];
    const type = PART_TYPES.find(([pattern]) => pattern.test(className))?.[1];
    if (type === undefined) continue;
    out[part] =
      type === "clip_embed"
        ? { path_or_prefix: part, model_type: type, variant: clipVariant(config, part) }
        : { path_or_prefix: part, model_type: type };
  }
  return out;
}

async function identifySd3(model: ModelOnDisk, className: string, index: unknown): Promise<RuleOutcome> {
  if (!hasComponent(index, "transformer")) return invalid(`${className} without a transformer`);
  const transformer = await model.readJson("transformer/config.json");
  if (transformer === undefined) return invalid(`${className} folder without transformer/config.json`);
  const transformerClass = configClassName(transformer);
  if (transformerClass !== undefined && transformerClass !== "SD3Transformer2DModel")
    return invalid(`${className} with a ${transformerClass} transformer (expected SD3Transformer2DModel)`);
  return match({ type: "main", format: "diffusers", base: "sd-3", submodels: await pipelineSubmodels(model, index) });
}

/** FLUX.2's text width tells the variant, as for checkpoints: 7680 Klein 4B, 12288 Klein 9B, 15360 dev. */
async function identifyFlux2(model: ModelOnDisk, className: string, index: unknown): Promise<RuleOutcome> {
  const transformer = await model.readJson("transformer/config.json");
  if (transformer === undefined) return invalid(`${className} folder without transformer/config.json`);
  const width = numberField(transformer, "joint_attention_dim");
  const isBase = /base/i.test(model.name);
  let variant: Flux2VariantType | null = null;
  if (width === 7680) variant = isBase ? "klein_4b_base" : "klein_4b";
  else if (width === 12288) variant = isBase ? "klein_9b_base" : "klein_9b";
  else if (width === 15360) variant = "dev";
  else if (className === "Flux2KleinPipeline") variant = isBase ? "klein_4b_base" : "klein_4b";
  return match({
    type: "main",
    format: "diffusers",
    base: "flux2",
    variant,
    submodels: await pipelineSubmodels(model, index),
  });
}

async function repoVariant(model: ModelOnDisk): Promise<ModelRepoVariant> {
  const files = await model.files();
  return files.some((f) => /\.fp16\.[a-z]+$/.test(f)) ? "fp16" : "";
}

async function identifyPipeline(model: ModelOnDisk): Promise<RuleOutcome> {
  const index = await model.readJson("model_index.json");
  if (index === undefined) return noMatch("no model_index.json");
  const className = configClassName(index);
  if (className === undefined) return invalid("model_index.json has no _class_name");
  let outcome: RuleOutcome;
  if (SD_PIPELINES.has(className) || SDXL_PIPELINES.has(className))
    outcome = await identifySdFamily(model, className, index);
  else if (FLUX_PIPELINES.has(className)) outcome = await identifyFlux(model, className);
  else if (FLUX2_PIPELINES.has(className)) outcome = await identifyFlux2(model, className, index);
  else if (SD3_PIPELINES.has(className)) outcome = await identifySd3(model, className, index);
  else return noMatch(`pipeline ${className} is not supported`);
  if (outcome.kind !== "match") return outcome;

  const files = await model.files();
  const onnxParts = files.filter((f) => f.endsWith(".onnx"));
  if (onnxParts.length > 0) {
    const denoiser = onnxParts.some((f) => f.startsWith("unet/") || f.startsWith("transformer/"));
    if (!denoiser) return invalid("ONNX pipeline without unet/model.onnx or transformer/model.onnx");
    return match({ ...outcome.fields, format: "onnx", repo_variant: "onnx" });
  }
  return match({ ...outcome.fields, repo_variant: await repoVariant(model) });
}

/** Main model folder: diffusers pipeline (format `diffusers`) or its ONNX export (format `onnx`). */
export const pipelineFolderRule: IdentificationRule = {
  name: "main pipeline (diffusers/ONNX folder)",
  target: "folder",
  identify: identifyPipeline,
};
