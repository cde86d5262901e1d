/**
 * Loading a denoiser or text encoder with LoRAs applied. Every generation node loads its UNet, transformer and
 * text encoders through `loadWithLoras`, so that LoRA support lives in one place.
 */
import type {
  InvocationContext,
  LoadedModelWithoutConfig,
  LoraPatchTarget,
  LoRAFieldValue,
  ModelIdentifierFieldValue,
} from "@atelier/core";
import { GenerationModelError } from "./generation-errors.js";

/** Which part of a pipeline the LoRAs patch (selects the LoRA keys that apply: `lora_unet_*`, `lora_te1_*`, …). */
export type LoraTarget = LoraPatchTarget;

/** The LoRAs of a field that appear more than once (by model key), as `name (key)`. */
export function duplicateLoras(loras: readonly LoRAFieldValue[]): string[] {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const l of loras) {
    if (seen.has(l.lora.key)) duplicates.push(`${l.lora.name} (${l.lora.key})`);
    seen.add(l.lora.key);
  }
  return duplicates;
}

/**
 * Loads `identifier` through the model cache with `loras` merged into its weights (the engine caches the patched
 * part under its own key; the cached base stays as it was). With no LoRAs it is the cached base model as
 * `context.models.load` gives it.
 */
export async function loadWithLoras(
  context: InvocationContext,
  identifier: ModelIdentifierFieldValue,
  loras: readonly LoRAFieldValue[],
  target: LoraTarget,
): Promise<LoadedModelWithoutConfig> {
  if (loras.length === 0) return context.models.load(identifier);
  const what = `${target} of model ${identifier.name}`;
  const duplicates = duplicateLoras(loras);
  if (duplicates.length > 0)
    throw new GenerationModelError(what, `LoRA ${duplicates.join(", ")} is applied more than once`, {
      loras: duplicates,
    });
  const models = context.models;
  if (models.loadWithLoras === undefined)
    throw new GenerationModelError(
      what,
      `cannot apply LoRAs (${loras.map((l) => l.lora.name).join(", ")}): this engine's context.models cannot merge LoRAs`,
    );
  return models.loadWithLoras(identifier, loras, target);
}
