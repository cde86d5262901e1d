/**
 * Loading a denoiser or text encoder with LoRAs applied. Every generation node loads its UNet, transformer and
 * text encoders through `loadWithLoras`, so that LoRA support lives in one place.
 */
import type {
  InvocationContext,
  LoadedModelWithoutConfig,
  LoRAFieldValue,
  ModelIdentifierFieldValue,
} from "@atelier/core";
import { GenerationModelError } from "./generation-errors.js";

/** Which part of a pipeline the LoRAs patch (selects the LoRA keys that apply: `lora_unet_*`, `lora_te1_*`, …). */
export type LoraTarget = "unet" | "text_encoder" | "text_encoder_2" | "transformer";

/**
 * Loads `identifier` through the model cache with `loras` applied to it. With no LoRAs it is the cached base
 * model as `context.models.load` gives it.
 */
export async function loadWithLoras(
  context: InvocationContext,
  identifier: ModelIdentifierFieldValue,
  loras: readonly LoRAFieldValue[],
  target: LoraTarget,
): Promise<LoadedModelWithoutConfig> {
  if (loras.length === 0) return context.models.load(identifier);
  throw new GenerationModelError(
    `${target} of model ${identifier.name}`,
    `cannot apply LoRAs (${loras.map((l) => l.lora.name).join(", ")}) yet`,
  );
}
