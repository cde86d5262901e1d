import type { BaseModelType } from "@atelier/core";
import { invalid, KeyView, match, noMatch, type IdentificationRule, type RuleOutcome } from "../identification-rule.js";
import { safetensorsRule } from "./safetensors-rule.js";

// Textual inversions: A1111 (`string_to_param` / `emb_params`), SDXL pairs (`clip_l` + `clip_g`) or a diffusers
// `{token: vector}` file; a folder holding `learned_embeds.*` is format `embedding_folder`.

function baseFromWidth(width: number): BaseModelType | undefined {
  if (width === 768) return "sd-1";
  if (width === 1024) return "sd-2";
  if (width === 1280) return "sdxl";
  return undefined;
}

function identifyEmbedding(keys: KeyView, format: "embedding_file" | "embedding_folder"): RuleOutcome {
  if (keys.has("clip_g")) return match({ type: "embedding", format, base: "sdxl" });
  let tensor = keys.firstOf("emb_params", "string_to_param.*");
  if (tensor === undefined) tensor = keys.find(/^string_to_param\./);
  const named = tensor !== undefined;
  if (tensor === undefined) {
    // A diffusers embedding has one tensor named after its token; anything bigger is not an embedding.
    if (keys.size !== 1) return noMatch("not an embedding layout");
    tensor = keys.keys[0];
  }
  const shape = keys.shape(tensor)!;
  if (shape.length < 1 || shape.length > 2) return noMatch(`tensor ${tensor} has ${shape.length} dimensions`);
  const width = shape[shape.length - 1];
  const base = baseFromWidth(width);
  if (base === undefined) {
    // A lone tensor is only a guess at an embedding: an odd width means it is something else.
    if (!named) return noMatch(`a lone ${width}-wide tensor`);
    return invalid(`embedding vectors are ${width} wide (expected 768, 1024 or 1280)`);
  }
  return match({ type: "embedding", format, base });
}

/** Single-file textual inversion. */
export const embeddingFileRule: IdentificationRule = safetensorsRule("textual inversion", (keys) =>
  identifyEmbedding(keys, "embedding_file"),
);

/** A folder with `learned_embeds.safetensors`. */
export const embeddingFolderRule: IdentificationRule = {
  name: "textual inversion (folder)",
  target: "folder",
  async identify(model) {
    const files = await model.files();
    if (files.includes("learned_embeds.safetensors")) {
      return identifyEmbedding(
        new KeyView(await model.stateDictKeys("learned_embeds.safetensors")),
        "embedding_folder",
      );
    }
    if (files.includes("learned_embeds.bin"))
      return invalid("pickle embeddings (learned_embeds.bin) cannot be read; convert to .safetensors");
    return noMatch("no learned_embeds file");
  },
};
