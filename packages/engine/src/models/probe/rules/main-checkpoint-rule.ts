import type {
  BaseModelType,
  Flux2VariantType,
  FluxVariantType,
  ModelFormat,
  ModelVariantType,
  SchedulerPredictionType,
} from "@atelier/core";
import type { ModelOnDisk } from "../model-on-disk.js";
import {
  invalid,
  match,
  noMatch,
  type IdentificationRule,
  type KeyView,
  type RuleOutcome,
} from "../identification-rule.js";
import { safetensorsRule } from "./safetensors-rule.js";

// Main single-file checkpoints: SD 1/2, SDXL (+ refiner) in the original LDM layout, and FLUX.1 / FLUX.2 in BFL's
// layout (optionally under `model.diffusion_model.`). Rules of InvokeAI's main checkpoint configs (§6.3).

const UNET = "model.diffusion_model.";
const SD_TO_K_BLOCK2 = `${UNET}input_blocks.2.1.transformer_blocks.0.attn2.to_k.weight`;
const SD_TO_K_BLOCK4 = `${UNET}input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight`;
const SD_CONV_IN = `${UNET}input_blocks.0.0.weight`;

/** Legacy yaml configs of SD checkpoints (InvokeAI's `config_path`, relative to `legacy_conf_dir`). */
function legacyConfigPath(
  base: BaseModelType,
  variant: ModelVariantType,
  prediction: SchedulerPredictionType,
): string | null {
  if (base === "sd-1") {
    return variant === "inpaint"
      ? "stable-diffusion/v1-inpainting-inference.yaml"
      : "stable-diffusion/v1-inference.yaml";
  }
  if (base === "sd-2") {
    if (variant === "inpaint") return "stable-diffusion/v2-inpainting-inference.yaml";
    if (variant === "depth") return "stable-diffusion/v2-midas-inference.yaml";
    return prediction === "v_prediction"
      ? "stable-diffusion/v2-inference-v.yaml"
      : "stable-diffusion/v2-inference.yaml";
  }
  if (base === "sdxl")
    return variant === "inpaint" ? "stable-diffusion/sd_xl_inpaint.yaml" : "stable-diffusion/sd_xl_base.yaml";
  if (base === "sdxl-refiner") return "stable-diffusion/sd_xl_refiner.yaml";
  return null;
}

/** Whether the keys look like a main model at all (InvokeAI's `_has_main_keys`). */
function hasMainKeys(keys: KeyView): boolean {
  if (keys.anyStartsWith("image_proj.", "ip_adapter.", "control_model.")) return false;
  if (keys.anyStartsWith("controlnet_blocks.", "controlnet_x_embedder.", "controlnet_single_blocks.")) return false;
  return keys.anyStartsWith(
    "cond_stage_model.",
    "first_stage_model.",
    UNET,
    "conditioner.embedders.",
    "double_blocks.",
  );
}

/** The SD base from the text encoder layout, for checkpoints whose attention widths are not the released ones. */
function sdBaseFromTextEncoder(keys: KeyView): BaseModelType | undefined {
  if (keys.anyStartsWith("conditioner.embedders.1.")) return "sdxl";
  if (keys.anyStartsWith("conditioner.embedders.0.model.")) return "sdxl-refiner";
  if (keys.anyStartsWith("cond_stage_model.transformer.")) return "sd-1";
  if (keys.anyStartsWith("cond_stage_model.model.")) return "sd-2";
  return undefined;
}

function identifySd(keys: KeyView): RuleOutcome {
  let base: BaseModelType | undefined;
  const block2 = keys.shape(SD_TO_K_BLOCK2);
  const block4 = keys.shape(SD_TO_K_BLOCK4);
  if (block2 !== undefined && block2[block2.length - 1] === 768) base = "sd-1";
  else if (block2 !== undefined && block2[block2.length - 1] === 1024) base = "sd-2";
  else if (block4 !== undefined && block4[block4.length - 1] === 2048) base = "sdxl";
  else if (block4 !== undefined && block4[block4.length - 1] === 1280) base = "sdxl-refiner";
  else base = sdBaseFromTextEncoder(keys);
  if (base === undefined) {
    return noMatch("no SD cross-attention width (768/1024/2048/1280) and no known text encoder layout");
  }

  let variant: ModelVariantType = "normal";
  const convIn = keys.shape(SD_CONV_IN);
  if (convIn !== undefined) {
    const inChannels = convIn[1];
    if (inChannels === 9) variant = "inpaint";
    else if (inChannels === 5) variant = "depth";
    else if (inChannels !== 4) return invalid(`UNet input has ${inChannels} channels (expected 4, 5 or 9)`);
  }
  if (variant === "depth" && base !== "sd-2")
    return invalid(`a depth (5-channel) UNet exists only for sd-2, not ${base}`);
  // Safetensors files carry no `global_step`, so SD 2 is taken to be v-prediction, as InvokeAI does without it.
  const prediction: SchedulerPredictionType = base === "sd-2" && variant === "normal" ? "v_prediction" : "epsilon";
  return match({
    type: "main",
    format: "checkpoint",
    base,
    variant,
    prediction_type: prediction,
    config_path: legacyConfigPath(base, variant, prediction),
    upcast_attention: base === "sd-2" && prediction === "v_prediction",
  });
}

function fluxPrefix(keys: KeyView): string | undefined {
  if (keys.has("double_blocks.0.img_attn.norm.key_norm.scale")) return "";
  if (keys.has(`${UNET}double_blocks.0.img_attn.norm.key_norm.scale`)) return UNET;
  return undefined;
}

function flux2Variant(keys: KeyView, prefix: string, fileName: string): Flux2VariantType | undefined {
  const context = keys.shape(`${prefix}txt_in.weight`) ?? keys.shape(`${prefix}context_embedder.weight`);
  const isBase = /base/i.test(fileName);
  switch (context?.[1]) {
    case 7680:
      return isBase ? "klein_4b_base" : "klein_4b";
    case 12288:
      return isBase ? "klein_9b_base" : "klein_9b";
    case 15360:
      return "dev";
    default:
      return undefined;
  }
}

function identifyFlux(
  keys: KeyView,
  prefix: string,
  fileName: string,
  quantized: { format?: ModelFormat; imgIn?: readonly number[] } = {},
): RuleOutcome {
  const imgIn = quantized.imgIn ?? keys.shape(`${prefix}img_in.weight`);
  if (imgIn === undefined) return invalid("FLUX transformer without img_in.weight");
  const format = quantized.format ?? "checkpoint";
  if (imgIn[1] === 128) {
    const variant = flux2Variant(keys, prefix, fileName);
    if (variant === undefined) return invalid("FLUX.2 transformer with an unknown text context width");
    return match({ type: "main", format, base: "flux2", variant });
  }
  let variant: FluxVariantType;
  if (imgIn[1] === 384) variant = "dev_fill";
  else if (imgIn[1] === 64) variant = keys.anyStartsWith(`${prefix}guidance_in.`) ? "dev" : "schnell";
  else return invalid(`FLUX img_in takes ${imgIn[1]} features (expected 64, 384 or FLUX.2's 128)`);
  return match({ type: "main", format, base: "flux", variant });
}

const NF4_STATE = ".quant_state.bitsandbytes__nf4";

/**
 * bitsandbytes packs a 4-bit weight into `[n/2, 1]` bytes; its `quant_state` blob (a few hundred bytes of JSON)
 * keeps the original shape. Undefined when the weight is not packed or the blob cannot be read.
 */
async function nf4OriginalShape(model: ModelOnDisk, weight: string): Promise<readonly number[] | undefined> {
  const blob = await model.readTensorBytes(`${weight}${NF4_STATE}`);
  if (blob === undefined) return undefined;
  try {
    const shape = (JSON.parse(blob.toString("utf8")) as { shape?: unknown }).shape;
    return Array.isArray(shape) && shape.every((d) => typeof d === "number") ? (shape as number[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Main checkpoint: SD 1/2, SDXL, SDXL refiner, FLUX.1 (schnell/dev/dev_fill), FLUX.2 — as safetensors, as
 * bitsandbytes NF4 (format `bnb_quantized_nf4b`) or, for FLUX transformers, as GGUF (format `gguf_quantized`).
 */
export const mainCheckpointRule: IdentificationRule = safetensorsRule(
  "main checkpoint",
  async (keys, model) => {
    if (!hasMainKeys(keys)) return noMatch("no main-model keys");
    const prefix = fluxPrefix(keys);
    if (model.extension === ".gguf") {
      // InvokeAI runs GGUF main models for FLUX-family transformers only.
      if (prefix === undefined) return noMatch("a GGUF main model that is not a FLUX transformer");
      return identifyFlux(keys, prefix, model.name, { format: "gguf_quantized" });
    }
    if (prefix !== undefined) {
      if (!keys.anyEndsWith(NF4_STATE)) return identifyFlux(keys, prefix, model.name);
      const imgIn = keys.has(`${prefix}img_in.weight${NF4_STATE}`)
        ? await nf4OriginalShape(model, `${prefix}img_in.weight`)
        : undefined;
      // Without a readable shape, InvokeAI's rule applies: not a fill model.
      const packed = keys.has(`${prefix}img_in.weight${NF4_STATE}`);
      return identifyFlux(keys, prefix, model.name, {
        format: "bnb_quantized_nf4b",
        imgIn: imgIn ?? (packed ? [0, 64] : undefined),
      });
    }
    if (keys.anyStartsWith("double_blocks.")) return invalid("FLUX-like double_blocks without attention norms");
    return identifySd(keys);
  },
  [".safetensors", ".gguf"],
);
