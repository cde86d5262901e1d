import type { BaseModelType } from "@atelier/core";
import { invalid, KeyView, match, noMatch, type IdentificationRule, type RuleOutcome } from "../identification-rule.js";
import type { ModelOnDisk } from "../model-on-disk.js";
import { safetensorsRule } from "./safetensors-rule.js";

// LoRAs: kohya / LyCORIS (LoHa, LoKr), diffusers and PEFT key layouts in one file (format `lycoris`, as InvokeAI
// files every single-file LoRA), or a diffusers folder holding `pytorch_lora_weights.*` (format `diffusers`).

const LORA_PREFIXES = ["lora_te_", "lora_unet_", "lora_te1_", "lora_te2_", "lora_transformer_"];
const LORA_SUFFIXES = [
  "to_k_lora.up.weight",
  "to_q_lora.down.weight",
  "lora_A.weight",
  "lora_B.weight",
  ".lora_down.weight",
  ".lora_up.weight",
  ".lora.down.weight",
  ".lora.up.weight",
  "lokr_w1",
  "lokr_w2",
  "hada_w1_a",
  "hada_w2_a",
];

/** Whether the keys look like a LoRA (not proof: merged main models carry them too, hence main is preferred). */
export function hasLoraKeys(keys: KeyView): boolean {
  return keys.anyStartsWith(...LORA_PREFIXES) || keys.anyEndsWith(...LORA_SUFFIXES);
}

/** FLUX LoRA layouts (kohya, diffusers, OneTrainer, BFL PEFT). */
function isFluxLora(keys: KeyView): boolean {
  return (
    keys.anyStartsWith("lora_unet_double_blocks_", "lora_unet_single_blocks_") ||
    keys.anyStartsWith("transformer.single_transformer_blocks.", "transformer.transformer_blocks.") ||
    keys.anyStartsWith("lora_transformer_single_transformer_blocks_", "lora_transformer_transformer_blocks_") ||
    keys.anyStartsWith("diffusion_model.double_blocks.", "diffusion_model.single_blocks.")
  );
}

/** The width of the text token vectors the LoRA was trained against (InvokeAI's `lora_token_vector_length`). */
function tokenVectorLength(keys: KeyView): number | undefined {
  for (const key of keys.keys) {
    const shape = keys.shape(key)!;
    // Cross-attention key/value projections of the UNet take text tokens.
    const crossAttention = /attn2[._](processor\.)?to_[kv]/.test(key);
    // Text encoder self-attention projections are as wide as the tokens.
    const textEncoder = /^(lora_te[12]?_|text_encoder|te[12]?_).*self_attn[._][kqv]_proj/.test(key);
    if (!crossAttention && !textEncoder) continue;
    if (/(lora_down|lora\.down|lora_A|_lora\.down)\.weight$/.test(key) || key.endsWith("to_k_lora.down.weight"))
      return shape[1];
    if (key.endsWith("hada_w1_b") || key.endsWith("hada_w2_b")) return shape[1];
    if (key.endsWith("lokr_w1") || key.endsWith("lokr_w2")) {
      const other = key.endsWith("lokr_w1") ? key.replace(/lokr_w1$/, "lokr_w2") : key.replace(/lokr_w2$/, "lokr_w1");
      const otherShape = keys.shape(other);
      if (otherShape !== undefined) return shape[1] * otherShape[1];
    }
  }
  return undefined;
}

function sdBase(keys: KeyView): RuleOutcome {
  if (keys.anyStartsWith("lora_te1_", "lora_te2_")) return match({ type: "lora", format: "lycoris", base: "sdxl" });
  const width = tokenVectorLength(keys);
  let base: BaseModelType | undefined;
  if (width === 768) base = "sd-1";
  else if (width === 1024) base = "sd-2";
  else if (width === 1280 || width === 2048) base = "sdxl";
  // SD 1/2 UNets have one transformer block per attention; SDXL's deeper blocks give the base away.
  else if (keys.find(/transformer_blocks[._][1-9]/) !== undefined) base = "sdxl";
  if (base === undefined) {
    return invalid(
      width === undefined
        ? "LoRA keys without a cross-attention or text-encoder layer to tell the base model"
        : `LoRA trained on ${width}-wide text tokens (expected 768, 1024, 1280 or 2048)`,
    );
  }
  return match({ type: "lora", format: "lycoris", base });
}

/** Single-file LoRA (format `lycoris`): FLUX layouts first, then SD-family bases. */
export const loraFileRule: IdentificationRule = safetensorsRule("LoRA", (keys) => {
  if (!hasLoraKeys(keys)) return noMatch("no LoRA keys");
  if (isFluxLora(keys)) return match({ type: "lora", format: "lycoris", base: "flux" });
  return sdBase(keys);
});

const DIFFUSERS_LORA_FILES = ["pytorch_lora_weights.safetensors", "pytorch_lora_weights.bin"];

/** A diffusers LoRA folder (`pytorch_lora_weights.safetensors`). */
export const loraFolderRule: IdentificationRule = {
  name: "LoRA (diffusers folder)",
  target: "folder",
  async identify(model: ModelOnDisk) {
    const files = await model.files();
    const weights = DIFFUSERS_LORA_FILES.find((f) => files.includes(f));
    if (weights === undefined) return noMatch("no pytorch_lora_weights file");
    if (!weights.endsWith(".safetensors"))
      return invalid("pickle LoRA weights cannot be read; convert to .safetensors");
    const keys = new KeyView(await model.stateDictKeys(weights));
    if (isFluxLora(keys)) return match({ type: "lora", format: "diffusers", base: "flux" });
    const outcome = sdBase(keys);
    return outcome.kind === "match" ? match({ ...outcome.fields, format: "diffusers" }) : outcome;
  },
};
