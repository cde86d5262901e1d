import type { BaseModelType } from "@atelier/core";
import {
  configClassName,
  invalid,
  match,
  noMatch,
  numberField,
  type IdentificationRule,
} from "../identification-rule.js";
import { safetensorsRule } from "./safetensors-rule.js";

// ControlNets: original (`control_model.*` / `input_hint_block`), diffusers-keyed single files, FLUX ControlNets
// (XLabs, InstantX), and diffusers folders (ControlNetModel / FluxControlNetModel).

function baseFromCrossAttention(width: number | undefined): BaseModelType | undefined {
  if (width === 768) return "sd-1";
  if (width === 1024) return "sd-2";
  if (width === 2048) return "sdxl";
  return undefined;
}

/** Single-file ControlNet. */
export const controlNetFileRule: IdentificationRule = safetensorsRule("ControlNet checkpoint", (keys) => {
  if (keys.anyStartsWith("controlnet_blocks.", "controlnet_x_embedder.", "controlnet_single_blocks.")) {
    return match({ type: "controlnet", format: "checkpoint", base: "flux" });
  }
  const original = keys.anyStartsWith("control_model.input_hint_block.", "input_hint_block.");
  const diffusers = keys.has("controlnet_cond_embedding.conv_in.weight");
  if (!original && !diffusers) return noMatch("no ControlNet keys");
  const probe = original
    ? (keys.find(/^(control_model\.)?input_blocks\.[0-9]+\.1\.transformer_blocks\.0\.attn2\.to_k\.weight$/) ?? "")
    : (keys.find(/^down_blocks\.[0-9]+\.attentions\.0\.transformer_blocks\.0\.attn2\.to_k\.weight$/) ?? "");
  const shape = keys.shape(probe);
  const base = baseFromCrossAttention(shape?.[1]);
  if (base === undefined)
    return invalid(`ControlNet cross-attention is ${shape?.[1] ?? "missing"} wide (expected 768, 1024 or 2048)`);
  return match({ type: "controlnet", format: "checkpoint", base });
});

/** Diffusers ControlNet folder. */
export const controlNetFolderRule: IdentificationRule = {
  name: "ControlNet (diffusers folder)",
  target: "folder",
  async identify(model) {
    const config = await model.readJson("config.json");
    const className = configClassName(config);
    if (className === "FluxControlNetModel") return match({ type: "controlnet", format: "diffusers", base: "flux" });
    if (className !== "ControlNetModel") return noMatch("config.json is not a ControlNet's");
    const width = numberField(config, "cross_attention_dim");
    const base = baseFromCrossAttention(width);
    if (base === undefined) return invalid(`ControlNet cross_attention_dim ${width} (expected 768, 1024 or 2048)`);
    return match({ type: "controlnet", format: "diffusers", base });
  },
};
