import type { ClipVariantType } from "@atelier/core";
import { configClassName, match, noMatch, numberField, type IdentificationRule } from "../identification-rule.js";
import type { ModelOnDisk } from "../model-on-disk.js";
import { safetensorsRule } from "./safetensors-rule.js";

// Text encoders on their own: T5 encoders (FLUX, SD3) and CLIP text encoders ("CLIP embed"), as a transformers
// folder (at the root, or in InvokeAI's `text_encoder_2/` + `tokenizer_2/` layout) or as a single file.

const T5_CLASSES = new Set(["T5EncoderModel", "T5ForConditionalGeneration", "UMT5EncoderModel"]);
const CLIP_TEXT_CLASSES = new Set(["CLIPTextModel", "CLIPTextModelWithProjection"]);

function clipVariant(hiddenSize: number | undefined): ClipVariantType {
  return hiddenSize !== undefined && hiddenSize >= 1280 ? "gigantic" : "large";
}

/** The folder's transformers config: `config.json`, else `text_encoder_2/config.json`, else `text_encoder/config.json`. */
async function encoderConfig(model: ModelOnDisk): Promise<unknown> {
  for (const path of ["config.json", "text_encoder_2/config.json", "text_encoder/config.json"]) {
    const json = await model.readJson(path);
    if (json !== undefined) return json;
  }
  return undefined;
}

/** T5 encoder folder (format `t5_encoder`). */
export const t5EncoderFolderRule: IdentificationRule = {
  name: "T5 encoder (folder)",
  target: "folder",
  async identify(model) {
    if (await model.hasFile("model_index.json")) return noMatch("a pipeline, not a lone encoder");
    const className = configClassName(await encoderConfig(model));
    if (className === undefined || !T5_CLASSES.has(className)) return noMatch("no T5 encoder config");
    return match({ type: "t5_encoder", format: "t5_encoder", base: "any" });
  },
};

/** CLIP text encoder folder (type `clip_embed`, format `diffusers`), variant from the hidden size. */
export const clipEmbedFolderRule: IdentificationRule = {
  name: "CLIP text encoder (folder)",
  target: "folder",
  async identify(model) {
    if (await model.hasFile("model_index.json")) return noMatch("a pipeline, not a lone encoder");
    const config = await encoderConfig(model);
    const className = configClassName(config);
    if (className === undefined || !CLIP_TEXT_CLASSES.has(className)) return noMatch("no CLIP text encoder config");
    return match({
      type: "clip_embed",
      format: "diffusers",
      base: "any",
      variant: clipVariant(numberField(config, "hidden_size")),
    });
  },
};

/** CLIP vision encoder folder (IP-Adapter image encoders). */
export const clipVisionFolderRule: IdentificationRule = {
  name: "CLIP vision encoder (folder)",
  target: "folder",
  async identify(model) {
    const className = configClassName(await model.readJson("config.json"));
    if (className !== "CLIPVisionModelWithProjection" && className !== "CLIPVisionModel")
      return noMatch("no CLIP vision config");
    return match({ type: "clip_vision", format: "diffusers", base: "any" });
  },
};

/** Single-file T5 encoder (`encoder.block.N.layer.M...`). */
export const t5EncoderFileRule: IdentificationRule = safetensorsRule("T5 encoder checkpoint", (keys) => {
  if (!keys.has("encoder.block.0.layer.0.SelfAttention.q.weight")) return noMatch("no T5 encoder keys");
  return match({ type: "t5_encoder", format: "checkpoint", base: "any" });
});

/** Single-file CLIP text encoder (`text_model.*`). */
export const clipEmbedFileRule: IdentificationRule = safetensorsRule("CLIP text encoder checkpoint", (keys) => {
  const embedding = keys.shape("text_model.embeddings.token_embedding.weight");
  if (embedding === undefined || !keys.anyStartsWith("text_model.encoder.layers.0."))
    return noMatch("no CLIP text encoder keys");
  return match({ type: "clip_embed", format: "checkpoint", base: "any", variant: clipVariant(embedding[1]) });
});
